/**
 * An export document (`fsm export`), checked and indexed once: the tables every other module reads.
 * Nothing here knows a state, a code or a rule of its own; it only arranges what the document says.
 * @module
 */

import { UnknownFlow } from "./errors.js";

/** The format and version of the documents this package reads. */
export const FORMAT = "fsm-flow";
export const VERSION = 1;

/**
 * @typedef {object} Tables
 * @property {any} doc the document itself
 * @property {string} name the flow's name
 * @property {Map<string, any>} states state name -> state
 * @property {string[]} counterNames counter names, in the document's order
 * @property {Map<string, any>} counters counter name -> counter
 * @property {string[]} progress names of the counters that go back to 0 on progress
 * @property {Map<string, Set<string>>} handles state name -> the outcomes its edges handle
 * @property {Set<string>} secretNames SDK parameter and result names that are secrets
 * @property {Set<string>} secretSlots the flow's slots that hold secrets
 * @property {Set<string>} keptSlots the slots a snapshot keeps
 * @property {Set<string>} reask outcomes after which a question is asked again
 * @property {Map<string, RegExp>} patterns input name -> full-match pattern
 * @property {Set<string>} outcomes every outcome of the flow
 * @property {Set<string>} causes every cause an end may give
 * @property {any} [machine] the XState machine, once made (./machine.js)
 */

const cache = new WeakMap();

/**
 * The tables of `doc`, made once per document object.
 * @param {any} doc an export document (parsed JSON)
 * @returns {Tables}
 */
export function tables(doc) {
  let found = cache.get(doc);
  if (found === undefined) {
    found = build(doc);
    cache.set(doc, found);
  }
  return found;
}

function build(doc) {
  if (doc === null || typeof doc !== "object" || doc.format !== FORMAT) {
    throw new UnknownFlow(`not an fsm export (format ${JSON.stringify(FORMAT)})`);
  }
  if (doc.version !== VERSION) {
    throw new UnknownFlow(`an fsm export of version ${doc.version}; this package reads version ${VERSION}`);
  }
  const states = new Map(doc.states.map((s) => [s.name, s]));
  const handles = new Map(doc.states.map((s) => [s.name, new Set(s.edges.map((e) => e.outcome))]));
  const patterns = new Map(Object.entries(doc.inputs).map(([name, rule]) => [name, new RegExp(`^(?:${rule.pattern})$`)]));
  return {
    doc,
    name: doc.flow.name,
    states,
    counterNames: doc.counters.map((c) => c.name),
    counters: new Map(doc.counters.map((c) => [c.name, c])),
    progress: doc.counters.filter((c) => c.progress_resets).map((c) => c.name),
    handles,
    secretNames: new Set(doc.secrets.names),
    secretSlots: new Set(doc.secrets.slots),
    keptSlots: new Set(doc.snapshot.kept_slots),
    reask: new Set(doc.questions.reask),
    patterns,
    outcomes: new Set(doc.states.flatMap((s) => s.edges.map((e) => e.outcome))),
    causes: new Set(Object.keys(doc.ends.causes)),
  };
}
