/**
 * A running flow, in the same sans-I/O shape as Python's `fsm.Flow`: ask {@link Flow#action}, feed back
 * {@link Flow#receive}, {@link Flow#receiveException} or {@link Flow#answer}, read {@link Flow#outcome}.
 * XState moves it (`transition` on the machine of ./machine.js); this class only classifies what comes in
 * into an outcome, fills a call's parameters, and keeps the values, the consumed transactionIds and the trace.
 * @module
 */

import { transition } from "xstate";

import { classify, classifyException, errorName, readField } from "./classify.js";
import { tables } from "./document.js";
import { FlowStateError, MalformedMessage, StaleMessage, format } from "./errors.js";
import { valid } from "./inputs.js";
import { machineOf } from "./machine.js";
import { parseMessage } from "./messages.js";
import { resumable } from "./resumption.js";
import { PARTS, snapshot } from "./snapshot.js";

/** The answer "I forgot my PIN" (where a question offers it). */
export const FORGOT_PIN = Symbol.for("fsm.FORGOT_PIN");
/** The answer "cancel", at any question. */
export const CANCEL = Symbol.for("fsm.CANCEL");

/**
 * @typedef {{kind: "call", op: string, api: string, parameters: Record<string, string>, step: string, state: string}} CallAction
 * @typedef {{kind: "question", name: string, why: string|null, attempt: number, step: string, state: string,
 *   prompt: string, secret: boolean, canForgetPin: boolean, newPin: boolean}} QuestionAction
 * @typedef {{ok: boolean, state: string, cause: string|null, errorCode: number|null, reason: string,
 *   resumable: boolean}} Outcome
 * @typedef {{step: string, state: string, kind: "call"|"question", name: string, op: string|null,
 *   parameters: Record<string, string>, outcome: string, target: string, code: number|null}} TraceEntry
 * @typedef {{value: string, secret: boolean}} Held a value the flow holds for a slot
 */

export class Flow {
  /** @type {import("./document.js").Tables} */
  #t;
  /** @type {any} the XState machine */
  #machine;
  /** @type {any} the XState snapshot: the state and the context (options, counters, last move, end) */
  #snap;
  /** @type {Map<string, Held>} */
  #values;
  /** @type {Set<string>} */
  #seen;
  /** @type {TraceEntry[]} */
  #trace;

  /**
   * Use {@link start} or {@link resume}.
   * @param {any} doc the export
   * @param {any} snap an XState snapshot of the export's machine
   * @param {{values?: Map<string, Held>, seen?: Set<string>, trace?: TraceEntry[]}} [parts]
   */
  constructor(doc, snap, { values = new Map(), seen = new Set(), trace = [] } = {}) {
    this.#t = tables(doc);
    this.#machine = machineOf(doc);
    this.#snap = snap;
    this.#values = values;
    this.#seen = seen;
    this.#trace = trace;
  }

  /** The flow's name (`"enrollment"`, ...). */
  get name() {
    return this.#t.name;
  }

  /** The export this flow runs. */
  get document() {
    return this.#t.doc;
  }

  /** The name of the current state (`"8:pinCode"`). */
  get state() {
    return /** @type {string} */ (this.#snap.value);
  }

  /** The step of the current state (`"8"`). */
  get step() {
    return this.#current().step;
  }

  /** The run's options (every option, by name). */
  get options() {
    return { ...this.#snap.context.options };
  }

  /** The counters, by name. */
  get counters() {
    return { ...this.#snap.context.counters };
  }

  /** True once the flow is in a terminal state. */
  get finished() {
    return this.#current().kind === "terminal";
  }

  /** The edges taken so far, oldest first (secrets masked). */
  get trace() {
    return this.#trace.map((e) => ({ ...e, parameters: { ...e.parameters } }));
  }

  /** The XState snapshot the flow is at (read only: the flow moves by XState's pure `transition`). */
  get xstate() {
    return this.#snap;
  }

  #current() {
    return this.#t.states.get(this.state);
  }

  /**
   * What to do next: a call to make, a question to ask, or null once finished.
   * @returns {CallAction|QuestionAction|null}
   */
  get action() {
    const state = this.#current();
    if (state.kind === "call") return this.#call(state);
    if (state.kind === "question") return this.#question(state);
    return null;
  }

  /** The parameters of `state`'s call, each from its constant or the slot holding it. */
  #call(state) {
    const entry = this.#t.doc.calls[state.call.entry];
    const { dialect, platform } = this.#snap.context.options;
    /** @type {Record<string, string>} */
    const parameters = {};
    for (const p of entry.parameters[dialect][platform]) {
      if ("value" in p) {
        parameters[p.name] = p.value;
      } else {
        const held = this.#values.get(p.slot);
        if (held === undefined) throw new FlowStateError(this.state, `no value held for ${p.slot}`);
        parameters[p.name] = held.value;
      }
    }
    return { kind: "call", op: entry.op, api: entry.api, parameters, step: state.step, state: state.name };
  }

  #question(state) {
    const q = state.question;
    const { counters, last } = this.#snap.context;
    const attempt = 1 + q.attempt_counters.reduce((n, c) => n + (counters[c] ?? 0), 0);
    const [outcome, , at] = last;
    const why = at === state.name && this.#t.reask.has(outcome) ? outcome : null;
    return { kind: "question", name: q.input, why, attempt, step: state.step, state: state.name, prompt: q.prompt,
      secret: q.secret, canForgetPin: q.can_forget_pin, newPin: q.new_pin };
  }

  /** The state, when it waits for `kind`; else FlowStateError (the flow unchanged). */
  #need(kind) {
    const state = this.#current();
    if (state.kind !== kind) {
      const what = state.kind === "terminal" ? "the flow has ended" : `it waits for a ${state.kind}`;
      throw new FlowStateError(this.state, `cannot take a ${kind === "call" ? "message" : "answer"}: ${what}`);
    }
    return state;
  }

  /**
   * Answer the outstanding call with the SDK's message (an object). A message that is not well formed throws
   * {@link MalformedMessage} and leaves the flow unchanged (hand it to {@link Flow#receiveException} to end the
   * run as Python's executor does); a transactionId already consumed throws {@link StaleMessage}.
   * @param {unknown} message
   */
  receive(message) {
    const doc = this.#t.doc;
    let error = null;
    let msg = null;
    try {
      msg = parseMessage(doc.messages, message);
    } catch (exc) {
      if (!(exc instanceof MalformedMessage)) throw exc;
      error = exc;
    }
    const state = this.#need("call");
    let outcome = null;
    if (error === null) {
      if (this.#seen.has(msg.transactionId)) {
        throw new StaleMessage(this.state, "this transactionId was already received");
      }
      try {
        outcome = classify(doc, state, msg);
      } catch (exc) {
        if (!(exc instanceof MalformedMessage)) throw exc;
        error = exc;
      }
    }
    if (error !== null) throw error.atStep(state.step);
    this.#seen.add(msg.transactionId);
    if (state.call.keep.length && msg.result !== null) this.#keep(state, msg.result);
    this.#fire(state, { type: outcome, code: msg.errorCode });
  }

  /** Keep the result field the call is read by, when it is a non-empty string (not a secret). */
  #keep(state, result) {
    const output = this.#t.doc.calls[state.call.entry].output;
    const value = readField(output, result);
    if (typeof value === "string" && value && !this.#t.secretNames.has(output.field)) {
      for (const slot of state.call.keep) this.#values.set(slot, { value, secret: false });
    }
  }

  /**
   * The outstanding call failed with `error`: thrown by the port, or a {@link MalformedMessage}. An error named
   * as a transient one in the export (ConnectionError, TimeoutError) is retried by the table; anything else
   * ends the run, known only by its class name (its text may hold a secret).
   * @param {unknown} error
   */
  receiveException(error) {
    const state = this.#need("call");
    const doc = this.#t.doc;
    const outcome = classifyException(doc, error);
    const detail = error instanceof MalformedMessage ? error.message : format(doc.ends.port_raised, { name: errorName(error) });
    this.#fire(state, { type: outcome, code: null, detail });
  }

  /**
   * Answer the open question with a string, {@link FORGOT_PIN} or {@link CANCEL}. An answer that is not valid
   * (not a string, the wrong shape, an obvious new PIN, FORGOT_PIN where it leads nowhere) is asked again, at
   * most the export's bound times in a row, then the run ends cancelled.
   * @param {unknown} value
   */
  answer(value) {
    const state = this.#need("question");
    const q = state.question;
    const names = this.#t.doc.questions.outcomes;
    let outcome;
    if (value === CANCEL) {
      outcome = names.cancel;
    } else if (value === FORGOT_PIN && this.#t.handles.get(state.name).has(names.forgot_pin)) {
      outcome = names.forgot_pin;
    } else if (typeof value === "string" && valid(this.#t.doc, q.input, value, q.new_pin)) {
      this.#values.set(q.slot, { value, secret: q.secret });
      outcome = names.valid;
    } else {
      outcome = names.invalid;
    }
    this.#fire(state, { type: outcome, code: null });
  }

  /** Hand the outcome to XState; once it has taken an edge, write the trace entry. */
  #fire(state, event) {
    if (!this.#t.handles.get(state.name).has(event.type)) {
      throw new Error(`the export is broken: state ${state.name} does not handle ${event.type}`);
    }
    const [next] = transition(this.#machine, this.#snap, event);
    if (next.context === this.#snap.context) return; // no guard held: the flow stays (a validated export never)
    this.#trace.push(this.#entry(state, event.type, /** @type {string} */ (next.value), event.code ?? null));
    this.#snap = next;
  }

  /** The trace entry of a move from `state` (a call's parameters masked, from the values held now). */
  #entry(state, outcome, target, code) {
    if (state.kind === "question") {
      return { step: state.step, state: state.name, kind: "question", name: state.question.input, op: null,
        parameters: {}, outcome, target, code: null };
    }
    const entry = this.#t.doc.calls[state.call.entry];
    const { dialect, platform } = this.#snap.context.options;
    const mask = this.#t.doc.secrets.mask;
    /** @type {Record<string, string>|null} */
    let parameters = {};
    for (const p of entry.parameters[dialect][platform]) {
      if ("value" in p) {
        parameters[p.name] = p.value;
        continue;
      }
      const held = this.#values.get(p.slot);
      if (held === undefined) {
        parameters = null; // an input not held (after a resume, secrets are not): no parameters shown
        break;
      }
      parameters[p.name] = held.secret ? mask : held.value;
    }
    return { step: state.step, state: state.name, kind: "call", name: entry.api, op: entry.op,
      parameters: parameters ?? {}, outcome, target, code };
  }

  /**
   * Null until the flow has finished; then how it ended.
   * @returns {Outcome|null}
   */
  get outcome() {
    if (!this.finished) return null;
    const ends = this.#t.doc.ends;
    const [cause, code, detail] = this.#snap.context.end ?? [null, null, ""];
    let words = ends.causes[cause ?? ""] ?? "";
    if (detail && ends.detailed_causes.includes(cause)) words = detail;
    const lastStep = this.#trace.length ? this.#trace[this.#trace.length - 1].step : this.#t.doc.flow.initial;
    const ok = ends.success.includes(this.state);
    let reason;
    if (ok) {
      reason = format(ends.reason_success, { title: this.#t.doc.flow.title, state: this.state });
    } else {
      reason = format(ends.reason_failure, { state: this.state, step: lastStep, words });
      if (code !== null) reason += format(ends.reason_code, { code });
    }
    return { ok, state: this.state, cause, errorCode: ok ? null : code, reason, resumable: this.#resumable(cause) };
  }

  /** Whether this failed flow's snapshot resumes into a running flow (./resumption.js). */
  #resumable(cause) {
    return resumable(this.#t.doc, this.state, cause, this.#trace, this.#snap.context);
  }

  /** This flow as a JSON-safe document without secrets: the same document as Python's `Flow.snapshot()`. */
  snapshot() {
    return snapshot(this);
  }

  /** The parts ./snapshot.js writes (values held, consumed ids, trace, XState context). */
  [PARTS]() {
    return { values: new Map(this.#values), seen: new Set(this.#seen), trace: this.trace, context: this.#snap.context };
  }
}
