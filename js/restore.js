/**
 * `resume`: a flow built back from its snapshot, only where a run could have been (Python's `fsm.restore`).
 *
 * ./snapshot.js checks the document's shape; its configuration — state, counters, and which kept slots hold a
 * value — must then be one a straight run reaches under the snapshot's own options (./reach.js, which explores
 * the XState machine). A flow that failed because its transient retries ran out comes back at that call (its
 * retry counter at 0, every other counter kept); every other end comes back ended. The flow then picks up
 * where the export's `resume_state` says, asking again for the secrets the snapshot dropped; a call counted
 * on entry whose counter is at its bound ends it instead.
 * @module
 */

import { tables } from "./document.js";
import { SnapshotInvalid, format } from "./errors.js";
import { Flow } from "./flow.js";
import { initialContext, machineOf } from "./machine.js";
import { isReachable } from "./reach.js";
import { atBound, retryState } from "./resumption.js";
import { read } from "./snapshot.js";

/**
 * The flow a snapshot describes, ready to go on (Python's `fsm.resume`).
 * @param {any} documents the export of the snapshot's flow (or several: an array, or an object by flow name)
 * @param {unknown} data the snapshot (an object, or its JSON text)
 * @returns {Flow}
 */
export function resume(documents, data) {
  const saved = read(documents, data);
  const { doc } = saved;
  const t = tables(doc);
  let { state, end } = saved;
  const counters = { ...saved.counters };
  const retry = end === null ? null : retryState(doc, end[0], saved.trace.length ? saved.trace[saved.trace.length - 1].state : null);
  if (retry !== null) { // transient retries ran out: back at the call, its retry count 0 (the edge out reset it)
    state = retry.name;
    end = null;
  }
  if (!isReachable(doc, saved.options, state, counters, saved.values.keys())) {
    throw new SnapshotInvalid("state, counters and values held: a configuration no run reaches");
  }
  const context = { ...initialContext(doc, saved.options), counters, last: retry !== null ? ["", null, ""] : saved.last, end };
  // Pick up where the secrets the snapshot dropped are asked again (the export's resume_state table).
  const { dialect, platform } = saved.options;
  const target = doc.snapshot.resume_state[dialect][platform][state];
  if (target !== state) {
    const current = t.states.get(state);
    if (atBound(current, context)) {
      const cause = format(doc.snapshot.exhausted_cause, { counter: current.call.counts });
      state = doc.snapshot.exhausted_end;
      context.end = [t.causes.has(cause) ? cause : null, null, ""];
      context.last = ["", null, state];
    } else {
      for (const name of t.progress) counters[name] = 0;
      state = target;
      context.last = ["", null, ""];
    }
  }
  const snap = machineOf(doc).resolveState({ value: state, context });
  return new Flow(doc, snap, { values: saved.values, seen: saved.seen, trace: saved.trace });
}
