/**
 * The XState flow and a bridge session (the Python engine) driven side by side, step by step: snapshots taken
 * by both at every step, resumed by both, and the resumed flows driven on alike.
 * @module
 */

import { isDeepStrictEqual } from "node:util";

import { SnapshotInvalid, resume, start } from "../index.js";
import { STAND_IN, answerParams, feed, feedBridge } from "./replay.js";

/** The JavaScript API's action or outcome in the bridge's encoding (snake case), to compare the two. */
export function snake(value) {
  if (value === null) return null;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

/**
 * Replay `transcript` through a JS flow and a bridge session at once; after every step compare the two
 * snapshots (they must be the same document) and hand each to `visit(snapshot, event index)`.
 * @returns {Promise<string[]>} every difference found
 */
export async function lockstep(documents, bridge, transcript, visit = () => {}) {
  const problems = [];
  const flow = start(documents[transcript.flow], transcript.options);
  const { session } = await bridge.result("start", { flow: transcript.flow, options: transcript.options });
  let py = null;
  for (let i = 0; i <= transcript.events.length; i++) {
    const { snapshot } = await bridge.result("snapshot", { session });
    const mine = flow.snapshot();
    if (!isDeepStrictEqual(mine, snapshot)) {
      problems.push(`after ${i} events: snapshots differ:\n  js ${JSON.stringify(mine)}\n  py ${JSON.stringify(snapshot)}`);
      break;
    }
    visit(snapshot, i);
    if (i === transcript.events.length) break;
    const event = transcript.events[i];
    const action = flow.action;
    feed(flow, action, event);
    py = await feedBridge(bridge, session, py?.action ?? action, event);
  }
  await bridge.result("close", { session });
  return problems;
}

/** A result for each output outcome of a call (the export's documented values), for the driver below. */
function results(doc, entry) {
  const output = doc.calls[entry].output;
  if (output.field === null) return [{}];
  const out = output.values.map((v) => ({ [output.field]: v.value }));
  if (output.any_string !== null) out.push({ [output.field]: "0612345678" });
  if (output.absent !== null) out.push({ [output.field]: null });
  return out;
}

/** Valid answers for every input (a driver's; secrets as the transcripts' stand-ins). */
const ANSWERS = { ...STAND_IN, phoneNumber: "0612345678", vin: "VF7ABCDE123456789" };

/**
 * The n-th input of the driver at `action`: a deterministic mix of successes, failures and transient errors at
 * calls, valid and invalid answers at questions, so resumed flows are driven through more than one path.
 */
export function driven(doc, action, n) {
  if (action.kind === "question") {
    return n % 5 === 3 ? { answer: "x" } : { answer: ANSWERS[action.name] };
  }
  const entry = doc.states.find((s) => s.name === action.state).call.entry;
  const options = results(doc, entry);
  const codes = [null, 2201, null, 2305, null, 9999];
  const code = codes[n % codes.length];
  const message = code === null
    ? { transactionId: `drive-${n}`, status: "SUCCEEDED", result: options[n % options.length] }
    : { transactionId: `drive-${n}`, status: "FAILED", error: { code } };
  return { message };
}

/**
 * Resume `snapshot` in JS and through the bridge; compare what each accepts, where it resumes, and (when
 * `steps` > 0) the next `steps` actions and the end as both are driven alike.
 * @returns {Promise<{accepted: boolean, problems: string[]}>}
 */
export async function resumeBoth(documents, bridge, snapshot, steps) {
  const problems = [];
  let flow = null;
  let refused = null;
  try {
    flow = resume(documents, structuredClone(snapshot));
  } catch (error) {
    if (!(error instanceof SnapshotInvalid)) throw error;
    refused = error.problem;
  }
  const response = await bridge.call("resume", { snapshot });
  const pyRefused = response.error?.data?.type === "SnapshotInvalid" ? response.error.data.problem : null;
  if (response.error && pyRefused === null) problems.push(`bridge: ${JSON.stringify(response.error)}`);
  if (refused !== pyRefused) {
    problems.push(`js ${refused === null ? "accepts" : `refuses (${refused})`}, py ${pyRefused === null ? "accepts" : `refuses (${pyRefused})`}`);
  }
  if (flow === null || response.error) return { accepted: false, problems };
  const { session } = response.result;
  let py = response.result;
  for (let n = 0; ; n++) {
    const js = { action: snake(flow.action), outcome: snake(flow.outcome) };
    if (!isDeepStrictEqual(js, { action: py.action, outcome: py.outcome })) {
      problems.push(`step ${n}: js ${JSON.stringify(js)}\n  py ${JSON.stringify({ action: py.action, outcome: py.outcome })}`);
      break;
    }
    if (n === 0) {
      const { snapshot: again } = await bridge.result("snapshot", { session });
      if (!isDeepStrictEqual(flow.snapshot(), again)) problems.push(`resumed snapshots differ: ${JSON.stringify(flow.snapshot())} ${JSON.stringify(again)}`);
      if (steps > 0) { // a resumed flow's own snapshot resumes too, alike
        const twice = await resumeBoth(documents, bridge, again, 0);
        if (!twice.accepted) problems.push("a resumed flow's snapshot is refused");
        problems.push(...twice.problems.map((p) => `resumed twice: ${p}`));
      }
    }
    if (flow.action === null || n >= steps) break;
    const input = driven(flow.document, flow.action, n);
    if ("answer" in input) {
      flow.answer(input.answer);
      py = await bridge.result("answer", answerParams(session, input.answer));
    } else {
      flow.receive(input.message);
      py = await bridge.result("receive", { session, message: input.message });
    }
  }
  await bridge.result("close", { session });
  return { accepted: true, problems };
}
