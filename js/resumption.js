/**
 * What a snapshot's flow picks up from, by the export's rules (Python's `fsm.resumption`): the call a flow
 * whose transient retries ran out is resumable at, and whether a call counted on entry is at its bound.
 * @module
 */

import { tables } from "./document.js";

/**
 * The call a failed flow is resumable at: the state of its last edge when the flow failed there because its
 * transient retries ran out (the export's `snapshot.retry`), else null.
 * @param {any} doc
 * @param {string|null} cause
 * @param {string|null} last the state of the last trace entry
 */
export function retryState(doc, cause, last) {
  const retry = doc.snapshot.retry;
  if (cause !== retry.cause || last === null) return null;
  const state = tables(doc).states.get(last);
  if (state === undefined || state.kind !== "call") return null;
  const endsHere = state.edges.some((e) => e.outcome === retry.outcome && e.target === retry.end && e.cause === retry.cause);
  return endsHere ? state : null;
}

/**
 * Rule 5 of the pick-up: the call `state` counts on entry and its counter has reached its bound.
 * @param {any} state a state of the export
 * @param {{counters: Record<string, number>, bounds: Record<string, number>}} context
 */
export function atBound(state, context) {
  const counter = state.call?.counts ?? null;
  return counter !== null && context.counters[counter] >= context.bounds[counter];
}

/**
 * Whether a flow that ended at `stateName` with `cause` resumes into a running flow (Python's
 * `Outcome.resumable`): it failed because a call's transient retries ran out, and that call can be made again.
 * @param {any} doc
 * @param {string} stateName
 * @param {string|null} cause
 * @param {{state: string}[]} trace
 * @param {any} context the XState context (options, bounds, counters)
 */
export function resumable(doc, stateName, cause, trace, context) {
  if (stateName !== doc.snapshot.retry.end) return false;
  const call = retryState(doc, cause, trace.length ? trace[trace.length - 1].state : null);
  if (call === null) return false;
  const { dialect, platform } = context.options;
  if (doc.snapshot.resume_state[dialect][platform][call.name] === call.name) return true;
  return !atBound(call, context);
}
