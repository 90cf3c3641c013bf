/**
 * Replaying a transcript of `fsm paths` (the recorded Python run) through the XState flow, or through the
 * bridge, and what each one did: the calls (op, api, parameters), the questions (name, why, attempt) and the end.
 * @module
 */

import { CANCEL, FORGOT_PIN, MalformedMessage, start } from "../index.js";

/** What a secret answer recorded as "***" becomes on replay (valid for its input; Python's replay uses the same). */
export const STAND_IN = { pinCode: "402718", smsCode: "802461", oldPIN: "402718", newPIN: "517093" };
const INVALID = "not a valid answer";

/**
 * The answer a question event gave, as JavaScript passes it to `flow.answer`.
 * @param {any} event
 * @param {{name: string}} question
 */
export function answerOf(event, question) {
  if ("reply" in event) return event.reply === "FORGOT_PIN" ? FORGOT_PIN : CANCEL;
  if (event.answer === "***") return event.outcome === "invalid" ? INVALID : STAND_IN[question.name];
  return event.answer;
}

/** What the port raised, as a JavaScript error of that name. */
export function raised(name) {
  const error = new Error("simulated failure");
  error.name = name;
  return error;
}

/**
 * A call or question as a transcript records it: a call's secret parameters masked (those the question or
 * the transcript marks "***"), a question's name, why and attempt.
 * @param {any} action an action of the JavaScript API (or the bridge's, whose keys are snake case)
 * @param {any} event the transcript's event at that point
 */
export function observed(action, event) {
  if (action === null) return null;
  if (action.kind === "call") {
    const want = event?.call?.parameters ?? {};
    const parameters = Object.fromEntries(Object.entries(action.parameters)
      .map(([k, v]) => [k, want[k] === "***" && typeof v === "string" && v.length > 0 ? "***" : v]));
    return { call: { op: action.op, api: action.api, parameters } };
  }
  return { question: action.name, why: action.why, attempt: action.attempt };
}

/** The transcript's own record of an event, in the shape of {@link observed}. */
export function recorded(event) {
  if ("call" in event) return { call: event.call };
  return { question: event.question, why: event.why, attempt: event.attempt };
}

/** The end as a transcript records it. */
export function ending(outcome) {
  if (outcome === null) return null;
  return { state: outcome.state, error_code: outcome.errorCode ?? outcome.error_code ?? null, cause: outcome.cause };
}

/**
 * Feed a transcript's events to a new XState flow: each action seen, and the flow at the end.
 * @param {Record<string, any>} documents the exports by flow name
 * @param {any} transcript
 * @param {(flow: any, index: number) => void} [each] called before each event and at the end
 */
export function replay(documents, transcript, each = () => {}) {
  const flow = start(documents[transcript.flow], transcript.options);
  const seen = [];
  transcript.events.forEach((event, i) => {
    each(flow, i);
    const action = flow.action;
    seen.push(observed(action, event));
    feed(flow, action, event);
  });
  each(flow, transcript.events.length);
  return { flow, seen, end: ending(flow.outcome), last: flow.action };
}

/** Give `flow` the event (a call's message or exception, a question's answer), as Python's replay does. */
export function feed(flow, action, event) {
  if ("call" in event) {
    if ("raises" in event) {
      flow.receiveException(raised(event.raises));
      return;
    }
    try {
      flow.receive(structuredClone(event.message));
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      flow.receiveException(error);
    }
    return;
  }
  flow.answer(answerOf(event, action ?? { name: event.question }));
}

/** The bridge's params for an answer. */
export function answerParams(session, answer) {
  if (answer === FORGOT_PIN) return { session, forgot_pin: true };
  if (answer === CANCEL) return { session, cancel: true };
  return { session, value: answer };
}

/**
 * Give the bridge's session the event, as {@link feed} does; resolve with the bridge's `{action, outcome}`.
 * @param {import("./python.js").Bridge} bridge
 */
export async function feedBridge(bridge, session, action, event) {
  if ("call" in event) {
    if ("raises" in event) return bridge.result("receive_exception", { session, type: event.raises });
    const response = await bridge.call("receive", { session, message: event.message });
    if (response.error?.data?.type === "MalformedMessage") {
      return bridge.result("receive_exception", { session, type: "MalformedMessage" });
    }
    if (response.error) throw Object.assign(new Error(response.error.message), { rpc: response.error });
    return response.result;
  }
  return bridge.result("answer", answerParams(session, answerOf(event, action ?? { name: event.question })));
}

/**
 * Feed a transcript's events to a new bridge session; each action seen and the end.
 * @param {import("./python.js").Bridge} bridge
 */
export async function replayBridge(bridge, transcript) {
  let { session, action, outcome } = await bridge.result("start", { flow: transcript.flow, options: transcript.options });
  const seen = [];
  for (const event of transcript.events) {
    seen.push(observed(action, event));
    ({ action, outcome } = await feedBridge(bridge, session, action, event));
  }
  await bridge.result("close", { session });
  return { seen, end: ending(outcome), last: action };
}
