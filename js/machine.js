/**
 * The export made into an XState v5 machine. XState does the moving: every state of the export is a state
 * node, every edge a transition on the event named by its outcome, in the export's order; guards are named,
 * parameterised XState guards (`below` a counter's bound, a `flag` of the options); the counters live in the
 * machine's context and change by the `move` action (an `assign`) that every edge carries with its effects.
 * @module
 */

import { assign, setup } from "xstate";

import { tables } from "./document.js";
import { bounds, flags } from "./options.js";

/**
 * @typedef {object} Context the machine's context
 * @property {Record<string, string|number>} options the run's options
 * @property {Record<string, number>} bounds each counter's bound under the options
 * @property {Record<string, boolean>} flags each flag guard under the options
 * @property {Record<string, number>} counters each counter's value
 * @property {[string, number|null, string]} last the last move: outcome, error code, the state it led to
 * @property {[string|null, number|null, string]|null} end why the flow ended: cause, error code, detail
 */

/**
 * @typedef {object} OutcomeEvent what the flow feeds the machine
 * @property {string} type the outcome
 * @property {number|null} [code] the message's error code
 * @property {string} [detail] what happened (the malformed field, the class the port raised)
 */

/** A state name as an XState target: "." separates a path, so it is escaped ("4.1" is one state). */
export function target(name) {
  return name.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}

/** The initial context of a run under `options` (already checked). */
export function initialContext(doc, options) {
  return {
    options,
    bounds: bounds(doc, options),
    flags: flags(doc, options),
    counters: Object.fromEntries(doc.counters.map((c) => [c.name, 0])),
    last: ["", null, ""],
    end: null,
  };
}

/** The XState config of one edge of the export. */
function transition(edge, terminal) {
  const config = {
    target: target(edge.target),
    actions: [{
      type: "move",
      params: { outcome: edge.outcome, target: edge.target, add: edge.add, reset: edge.reset,
        end: terminal ? [edge.cause, edge.code] : null },
    }],
  };
  if (edge.guard !== null) {
    config.guard = edge.guard.kind === "below"
      ? { type: "below", params: { counter: edge.guard.counter } }
      : { type: "flag", params: { name: edge.guard.name } };
  }
  return config;
}

/**
 * The XState machine of an export document (made once per document).
 * @param {any} doc
 */
export function machineOf(doc) {
  const t = tables(doc);
  if (t.machine === undefined) t.machine = build(doc);
  return t.machine;
}

function build(doc) {
  const terminal = new Set(doc.ends.terminals);
  /** @type {Record<string, any>} */
  const states = {};
  for (const state of doc.states) {
    /** @type {Record<string, any[]>} */
    const on = {};
    for (const edge of state.edges) (on[edge.outcome] ??= []).push(transition(edge, terminal.has(edge.target)));
    states[state.name] = {
      ...(state.kind === "terminal" ? { type: "final" } : { on }),
      meta: { step: state.step, kind: state.kind, title: state.title },
    };
  }
  return setup({
    guards: {
      /** The counter is still below its bound. */
      below: ({ context }, /** @type {{counter: string}} */ params) =>
        context.counters[params.counter] < context.bounds[params.counter],
      /** The flag holds under the options (e.g. "shortcut allowed"). */
      flag: ({ context }, /** @type {{name: string}} */ params) => context.flags[params.name] === true,
    },
    actions: {
      /** Taking an edge: reset, then count; remember the move, and why the flow ends when it does. */
      move: assign(({ context, event }, params) => {
        const counters = { ...context.counters };
        for (const name of params.reset) counters[name] = 0;
        for (const name of params.add) counters[name] += 1;
        const code = event.code ?? null;
        const end = params.end === null ? context.end
          : [params.end[0], params.end[1] ?? code, event.detail ?? ""];
        return { counters, last: [params.outcome, code, params.target], end };
      }),
    },
  }).createMachine({
    id: doc.flow.name,
    initial: doc.flow.initial,
    context: ({ input }) => input,
    states,
  });
}
