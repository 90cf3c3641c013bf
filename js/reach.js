/**
 * Which configurations — a state, the counters, which kept slots hold a value — a run of a flow reaches under
 * given options (saved and resumed any number of times, as Python's `fsm.reach`), found by exploring the XState
 * machine itself: from the initial state, every
 * event each state node accepts. XState picks the transition each time (its guards read the counters in the
 * machine's context) and applies its `move` action, so it is XState's reading of the export that decides what
 * a resumed snapshot may claim: an independent check of Python's `fsm.reach`, which walks the table.
 *
 * A move depends on the counters only through the guards of the event's transitions, so XState is asked once
 * per state, event and verdict of those guards, and the move it made (its target and the effects its `move`
 * action carries) is replayed on the configurations alike; each move learned is checked against XState's own
 * next snapshot. As in Python, counters that never go back to 0 only grow along a run, so a configuration is
 * reached, if at all, by a run that never exceeds its values of them: the walk stops there (the "caps").
 *
 * A run may be saved and resumed at any point: where the flow must ask again for a secret its snapshot dropped,
 * it picks up upstream (the export's `resume_state`), its per-call counts at 0, or ends failed when the call it
 * was at counts on entry and is at its bound. That pick-up is one more move from every state.
 * @module
 */

import { transition } from "xstate";

import { tables } from "./document.js";
import { initialContext, machineOf } from "./machine.js";

/** Explorations kept, by options and caps (the oldest is dropped first). */
const CACHE_SIZE = 256;
const cache = new Map();
/** Configurations explored at most by one walk (a guard against bounds that make it explode). */
export const LIMIT = 2_000_000;

/**
 * @typedef {{target: string, reset: string[], add: string[]}} Move what XState did on one event
 */

/** What taking `outcome` at `state` writes: a valid answer its question's slot, a call its kept result field. */
function writes(doc, state, outcome, bit) {
  if (state.kind === "question") {
    return outcome === doc.questions.outcomes.valid ? bit.get(state.question.slot) ?? 0 : 0;
  }
  if (state.kind === "call" && outcome === doc.calls[state.call.entry].output.any_string) {
    return state.call.keep.reduce((m, slot) => m | (bit.get(slot) ?? 0), 0);
  }
  return 0;
}

/**
 * The moves of the XState machine under one set of options, learned on demand.
 */
class Moves {
  constructor(doc, options) {
    this.doc = doc;
    this.machine = machineOf(doc);
    this.context = initialContext(doc, options);
    /** @type {Map<string, Move|null>} */
    this.learned = new Map();
    /** @type {Map<string, string[]>} the counters the guards of an event's transitions read, by state and event */
    this.reads = new Map();
  }

  /** The counters the guards of `event`'s transitions at `state` read (from the XState state node). */
  guarded(state, event) {
    const key = `${state}\u0000${event}`;
    let found = this.reads.get(key);
    if (found === undefined) {
      const transitions = this.machine.root.states[state].transitions.get(event) ?? [];
      found = [...new Set(transitions.filter((t) => t.guard?.type === "below").map((t) => t.guard.params.counter))];
      this.reads.set(key, found);
    }
    return found;
  }

  /**
   * The move XState makes on `event` at `state` with `counters` (null when no guard holds).
   * @returns {Move|null}
   */
  move(state, event, counters) {
    const reads = this.guarded(state, event);
    const bounds = this.context.bounds;
    const key = `${state}\u0000${event}\u0000${reads.map((c) => (counters[c] < bounds[c] ? 1 : 0)).join("")}`;
    let found = this.learned.get(key);
    if (found === undefined) {
      found = this.learn(state, event, counters);
      this.learned.set(key, found);
    }
    return found;
  }

  learn(state, event, counters) {
    const snap = this.machine.resolveState({ value: state, context: { ...this.context, counters: { ...counters } } });
    const [next] = transition(this.machine, snap, { type: event });
    if (next.context === snap.context) return null; // no guard held
    const [taken] = this.machine.getTransitionData(snap, { type: event });
    const { params } = taken.actions.find((a) => a.type === "move");
    const move = { target: /** @type {string} */ (next.value), reset: params.reset, add: params.add };
    const replayed = apply(move, counters);
    if (Object.keys(replayed).some((c) => replayed[c] !== next.context.counters[c])) {
      throw new Error(`the move ${state} --${event}--> ${move.target} does not replay as XState made it`);
    }
    return move;
  }
}

function apply(move, counters) {
  const after = { ...counters };
  for (const c of move.reset) after[c] = 0;
  for (const c of move.add) after[c] += 1;
  return after;
}

/**
 * Every configuration the XState machine reaches under `options`, its monotone counters never above `caps`.
 * @returns {Set<string>} configuration keys (see {@link key})
 */
function explore(doc, moves, caps) {
  const t = tables(doc);
  const bit = bits(doc);
  const monotone = doc.counters.filter((c) => !c.progress_resets).map((c) => c.name);
  const { options, bounds } = moves.context;
  const pickups = doc.snapshot.resume_state[options.dialect][options.platform];
  const start = { state: doc.flow.initial, counters: { ...moves.context.counters }, held: 0 };
  const seen = new Set([key(doc, start.state, start.counters, 0)]);
  let todo = [start];
  const visit = (state, counters, held) => {
    const k = key(doc, state, counters, held);
    if (seen.has(k)) return;
    seen.add(k);
    next.push({ state, counters, held });
  };
  let next = [];
  while (todo.length) {
    next = [];
    for (const { state: name, counters, held } of todo) {
      const state = t.states.get(name);
      if (state.kind === "terminal") continue;
      // Saved here and resumed: asked again upstream, per-call counts at 0 (or failed at the bound, ./restore.js).
      if (pickups[name] !== name) {
        const counts = state.call?.counts ?? null;
        if (counts !== null && counters[counts] >= bounds[counts]) {
          visit(doc.snapshot.exhausted_end, counters, held);
        } else {
          const after = { ...counters };
          for (const c of t.progress) after[c] = 0;
          visit(pickups[name], after, held);
        }
      }
      for (const event of moves.machine.root.states[name].ownEvents) {
        const move = moves.move(name, event, counters);
        if (move === null) continue;
        const after = apply(move, counters);
        if (monotone.some((c) => after[c] > caps[c])) continue;
        visit(move.target, after, held | writes(doc, state, event, bit));
      }
    }
    if (seen.size > LIMIT) throw new RangeError(`more than ${LIMIT} configurations`);
    todo = next;
  }
  return seen;
}

/** The key of a configuration: state, counters in the export's order, mask of the kept slots held. */
function key(doc, state, counters, held) {
  return `${state}|${doc.counters.map((c) => counters[c.name]).join(",")}|${held}`;
}

/** The bit of each kept slot, in the export's order. */
function bits(doc) {
  return new Map(doc.snapshot.kept_slots.map((slot, i) => [slot, 1 << i]));
}

/** The moves learned under each set of options, by document. */
const learnedMoves = new WeakMap();

function movesFor(doc, options, optionsKey) {
  let byOptions = learnedMoves.get(doc);
  if (byOptions === undefined) learnedMoves.set(doc, (byOptions = new Map()));
  let found = byOptions.get(optionsKey);
  if (found === undefined) {
    found = new Moves(doc, options);
    byOptions.set(optionsKey, found);
    if (byOptions.size > CACHE_SIZE) byOptions.delete(byOptions.keys().next().value);
  }
  return found;
}

/**
 * Whether a run under `options` (saved and resumed any number of times) reaches `state` with exactly `counters`
 * and exactly the kept slots `held` holding a value.
 * @param {any} doc
 * @param {Record<string, string|number>} options checked options
 * @param {string} state
 * @param {Record<string, number>} counters
 * @param {Iterable<string>} held
 */
export function isReachable(doc, options, state, counters, held) {
  const bit = bits(doc);
  let mask = 0;
  for (const slot of held) {
    if (!bit.has(slot)) return false;
    mask |= bit.get(slot);
  }
  if (!tables(doc).states.has(state)) return false;
  const optionsKey = JSON.stringify(doc.options.fields.map((f) => options[f.name]));
  const caps = Object.fromEntries(doc.counters.filter((c) => !c.progress_resets).map((c) => [c.name, counters[c.name]]));
  const cacheKey = `${doc.flow.name}|${optionsKey}|${JSON.stringify(caps)}`;
  let found = cache.get(cacheKey);
  if (found === undefined || found.doc !== doc) {
    found = { doc, configurations: explore(doc, movesFor(doc, options, optionsKey), caps) };
    cache.set(cacheKey, found);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  }
  return found.configurations.has(key(doc, state, counters, mask));
}
