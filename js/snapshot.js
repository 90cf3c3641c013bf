/**
 * The snapshot document: a running flow as the same JSON document Python's `Flow.snapshot()` writes, and the
 * same document read back untrusted, with Python's rules (`fsm.snapshot.read`): its shape, types and ranges (a
 * `SnapshotInvalid` whose `problem` names a key, never a value), every option present and valid, held values
 * only of kept slots, each a valid answer to the question that writes it (or, where a call keeps the slot from
 * its result, any non-empty string: the SDK's own). ./restore.js then accepts only a
 * configuration a run reaches.
 * @module
 */

import { tables } from "./document.js";
import { OptionError, SnapshotInvalid } from "./errors.js";
import { valid } from "./inputs.js";
import { initialContext } from "./machine.js";
import { length } from "./messages.js";
import { checkSdk, makeOptions } from "./options.js";

/** The key of the method a flow gives its parts by (not part of the package's API: the values hold secrets). */
export const PARTS = Symbol("fsm.parts");

/** Compare two strings by code points, as Python's `sorted` does (JavaScript's compares UTF-16 units). */
export function byCodePoint(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = /** @type {number} */ (x[i].codePointAt(0)) - /** @type {number} */ (y[i].codePointAt(0));
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * `flow` as a JSON-safe, versioned document with no secret in it: the same document as Python's.
 * @param {import("./flow.js").Flow} flow
 */
export function snapshot(flow) {
  const doc = flow.document;
  const t = tables(doc);
  const { values, seen, trace, context } = flow[PARTS]();
  const [outcome, code, at] = context.last;
  const mask = doc.secrets.mask;
  return {
    version: doc.snapshot.version,
    flow: t.name,
    options: Object.fromEntries(doc.options.fields.map((f) => [f.name, context.options[f.name]])),
    state: flow.state,
    counters: Object.fromEntries(t.counterNames.map((n) => [n, context.counters[n]])),
    values: Object.fromEntries([...values].filter(([k, v]) => !v.secret && t.keptSlots.has(k))
      .sort(([a], [b]) => byCodePoint(a, b)).map(([k, v]) => [k, v.value])),
    seen: [...seen].sort(byCodePoint),
    last: [outcome, code, t.states.has(at) ? at : ""],
    end: context.end !== null && flow.finished ? [...context.end] : null,
    trace: trace.map((e) => ({
      ...e, parameters: Object.fromEntries(Object.entries(e.parameters).map(([k, v]) => [k, t.secretNames.has(k) ? mask : v])),
    })),
  };
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const oneOf = (v, allowed) => typeof v === "string" && allowed.has(v);

/**
 * @param {any} limits the export's `snapshot` table
 */
function checks(limits) {
  const str = (value, what, limit = limits.max_string) => {
    if (typeof value !== "string" || length(value) > limit) throw new SnapshotInvalid(`${what}: not a string of bounded length`);
    return value;
  };
  const code = (value, what) => {
    if (value !== null && !(Number.isInteger(value) && value >= 0 && value < limits.max_code)) {
      throw new SnapshotInvalid(`${what}: not an error code`);
    }
    return value;
  };
  const list = (value, what) => {
    if (!Array.isArray(value) || value.length > limits.max_items) throw new SnapshotInvalid(`${what}: not a list of bounded length`);
    return value;
  };
  return { str, code, list };
}

/**
 * The exports a snapshot may be of, by flow name: one document, an array of them, or an object of them.
 * @returns {Map<string, any>}
 */
function byName(documents) {
  const list = Array.isArray(documents) ? documents
    : documents !== null && typeof documents === "object" && Object.hasOwn(documents, "format") ? [documents]
      : Object.values(documents ?? {});
  if (list.length === 0) throw new TypeError("resume needs the export of the snapshot's flow");
  return new Map(list.map((d) => [tables(d).name, d]));
}

/**
 * What a snapshot says, checked for shape, types and ranges (Python's `fsm.snapshot.read`).
 * @param {any} documents
 * @param {unknown} data
 */
export function read(documents, data) {
  const docs = byName(documents);
  const any = docs.values().next().value; // the format of the document is the same in every export
  if (typeof data === "string") {
    const max = any.snapshot.max_text; // Python counts the text's code points
    if (data.length > max && length(data) > max) throw new SnapshotInvalid("too large");
    try {
      data = JSON.parse(data);
    } catch {
      throw new SnapshotInvalid("not JSON (truncated?)");
    }
  }
  if (!isObject(data)) throw new SnapshotInvalid("not an object");
  const snap = /** @type {Record<string, any>} */ (data);
  const keys = new Set(any.snapshot.keys);
  if (Object.keys(snap).some((k) => !keys.has(k))) throw new SnapshotInvalid("unknown keys");
  if ([...keys].some((k) => !Object.hasOwn(snap, k))) throw new SnapshotInvalid("missing keys (truncated?)");
  if (!(Number.isInteger(snap.version) && snap.version === any.snapshot.version)) {
    throw new SnapshotInvalid(`unknown version (this fsm reads version ${any.snapshot.version})`);
  }
  const doc = typeof snap.flow === "string" ? docs.get(snap.flow) : undefined;
  if (doc === undefined) throw new SnapshotInvalid("unknown flow");
  const t = tables(doc);
  const limits = doc.snapshot;
  const { str, code, list } = checks(limits);
  const options = readOptions(doc, snap.options);
  const state = snap.state;
  if (!oneOf(state, t.states)) throw new SnapshotInvalid("unknown state");
  if (limits.refused_states.includes(state)) throw new SnapshotInvalid("a finished success is never resumed");
  // counters
  const raw = snap.counters;
  const names = t.counterNames;
  if (!isObject(raw) || Object.keys(raw).length !== names.length || names.some((n) => !Object.hasOwn(raw, n))) {
    throw new SnapshotInvalid("counters: not an object of the flow's counters");
  }
  const bounds = initialContext(doc, options).bounds;
  const counters = {};
  for (const n of names) {
    const v = raw[n];
    if (!(Number.isInteger(v) && v >= 0 && v <= bounds[n])) throw new SnapshotInvalid(`counters.${n}: not an integer within its bound`);
    counters[n] = v;
  }
  // values
  if (!isObject(snap.values)) throw new SnapshotInvalid("values: not an object");
  const values = new Map();
  for (const [k, v] of Object.entries(snap.values)) {
    if (!t.keptSlots.has(k)) throw new SnapshotInvalid("values: unknown or secret slot");
    const rule = heldRule(doc, k);
    if (rule === null) {
      if (str(v, `values.${k}`) === "") throw new SnapshotInvalid(`values.${k}: empty`);
    } else if (!valid(doc, rule, v, false)) {
      throw new SnapshotInvalid(`values.${k}: not a valid ${rule}`);
    }
    values.set(k, { value: str(v, `values.${k}`), secret: false });
  }
  // seen
  const seen = new Set(list(snap.seen, "seen").map((x) => str(x, "seen", limits.max_transaction_id)));
  if (seen.has("")) throw new SnapshotInvalid("seen: an empty transactionId");
  // last
  const last = list(snap.last, "last");
  if (last.length !== 3) throw new SnapshotInvalid("last: not [outcome, code, state]");
  if (last[0] !== "" && !oneOf(last[0], t.outcomes)) throw new SnapshotInvalid("last: unknown outcome");
  if (last[2] !== "" && !oneOf(last[2], t.states)) throw new SnapshotInvalid("last: unknown state");
  const lastMove = [last[0], code(last[1], "last"), last[2]];
  // end
  let end = null;
  if (t.states.get(state).kind !== "terminal") {
    if (snap.end !== null) throw new SnapshotInvalid("end: set on a running flow");
  } else {
    const items = list(snap.end, "end");
    if (items.length !== 3) throw new SnapshotInvalid("end: not [cause, code, detail]");
    if (items[0] !== null && !oneOf(items[0], t.causes)) throw new SnapshotInvalid("end: unknown cause");
    end = [items[0], code(items[1], "end"), str(items[2], "end.detail", limits.max_detail)];
  }
  // trace
  const traceKeys = limits.trace_keys;
  const trace = [];
  for (const e of list(snap.trace, "trace")) {
    if (!isObject(e) || Object.keys(e).length !== traceKeys.length || traceKeys.some((k) => !Object.hasOwn(e, k))) {
      throw new SnapshotInvalid("trace: an entry is not a trace entry");
    }
    if (!(oneOf(e.state, t.states) && oneOf(e.target, t.states))) throw new SnapshotInvalid("trace: unknown state");
    if (!oneOf(e.outcome, t.outcomes)) throw new SnapshotInvalid("trace: unknown outcome");
    const opOk = e.op === null || e.op === "get" || e.op === "set";
    if (!(e.kind === "call" || e.kind === "question") || !opOk) throw new SnapshotInvalid("trace: unknown kind or op");
    if (!isObject(e.parameters) || Object.keys(e.parameters).length > limits.max_parameters) {
      throw new SnapshotInvalid("trace: parameters not an object");
    }
    const shown = {};
    for (const [k, v] of Object.entries(e.parameters)) shown[str(k, "trace.parameters")] = str(v, "trace.parameters");
    if (Object.entries(shown).some(([k, v]) => t.secretNames.has(k) && v !== doc.secrets.mask)) {
      throw new SnapshotInvalid("trace: a secret parameter is not masked");
    }
    trace.push({ step: str(e.step, "trace.step"), state: e.state, kind: e.kind, name: str(e.name, "trace.name"), op: e.op,
      parameters: shown, outcome: e.outcome, target: e.target, code: code(e.code, "trace.code") });
  }
  return { doc, options, state, counters, values, seen, last: lastMove, end, trace };
}

/** Every option present (a default is never assumed) and valid, and recent enough for the flow. */
function readOptions(doc, raw) {
  const fields = doc.options.fields.map((f) => f.name);
  if (!isObject(raw) || Object.keys(raw).length !== fields.length || fields.some((n) => !Object.hasOwn(raw, n))) {
    throw new SnapshotInvalid("options: not an object with every option");
  }
  let options;
  try {
    options = makeOptions(doc, raw);
  } catch (exc) {
    if (exc instanceof OptionError) throw new SnapshotInvalid(`options: ${exc.option}`);
    throw new SnapshotInvalid("options");
  }
  try {
    checkSdk(doc, options);
  } catch {
    throw new SnapshotInvalid("options: sdk_version (too old for this flow)");
  }
  return options;
}

/**
 * The input rule a value held in `slot` must follow: the rule of the question that writes it, or null when a
 * call also keeps it from its result (the SDK's own string, such as step 3's trusted phone number, which it may
 * show masked or in international form): then any non-empty string a message can carry (`fsm.snapshot.held_rule`).
 */
function heldRule(doc, slot) {
  if (doc.states.some((s) => s.kind === "call" && s.call.keep.includes(slot))) return null;
  return doc.states.find((s) => s.kind === "question" && s.question.slot === slot).question.input;
}

