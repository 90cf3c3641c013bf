/**
 * fsm on XState: the flows of the Stellantis Mobile SDK (enrollment and account management), run from
 * their JSON export (`fsm export`) by an XState v5 machine, in the sans-I/O shape of Python's `fsm.Flow`.
 *
 * ```js
 * import { start, resume, FORGOT_PIN, CANCEL, MalformedMessage } from "fsm-xstate";
 * const flow = start(exportDocument, { platform: "ios", sdk_version: "2.3.0" });
 * flow.action;          // {kind: "call", op, api, parameters} | {kind: "question", name, why, attempt} | null
 * flow.receive(msg);    // the SDK's message; throws MalformedMessage and leaves the flow unchanged
 * flow.answer("402718");
 * flow.outcome;         // null, or {ok, state, cause, errorCode, reason, resumable}
 * const saved = flow.snapshot(); // the same JSON document as Python's Flow.snapshot()
 * ```
 * @module
 */

import { tables } from "./document.js";
import { CANCEL, FORGOT_PIN, Flow } from "./flow.js";
import { initialContext, machineOf } from "./machine.js";
import { checkSdk, makeOptions } from "./options.js";
import { resume } from "./restore.js";

export { FORMAT, VERSION } from "./document.js";
export {
  FlowStateError, FsmError, MalformedMessage, OptionError, SnapshotInvalid, StaleMessage, UnknownFlow, UnknownStatus,
} from "./errors.js";
export { machineOf } from "./machine.js";
export { CANCEL, FORGOT_PIN, Flow, resume };

/**
 * Start the flow of `exportDocument` with `options` (the same names as Python's: platform, sdk_version,
 * method, dialect, max_pin_attempts, max_code_attempts, max_restarts, max_transient_retries).
 * Throws OptionError for a bad option, before any call.
 * @param {any} exportDocument a parsed `export/<flow>.json`
 * @param {Record<string, unknown>} [options]
 * @returns {Flow}
 */
export function start(exportDocument, options = {}) {
  tables(exportDocument);
  const checked = makeOptions(exportDocument, options);
  checkSdk(exportDocument, checked);
  const machine = machineOf(exportDocument);
  const snap = machine.resolveState({ value: exportDocument.flow.initial, context: initialContext(exportDocument, checked) });
  return new Flow(exportDocument, snap);
}
