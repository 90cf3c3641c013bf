/**
 * Classify, then transition: a parsed message, or an exception, becomes the name of an outcome — the event
 * the XState machine takes. Read from the export's tables only: the call's `output`, the state's own
 * `errors` and catch-all, and the `classification` rules in the export's order.
 * @module
 */

import { MalformedMessage, pyType } from "./errors.js";
import { NESTED } from "./messages.js";

/**
 * The outcome of FAILED `code` at `state`: the first rule of the export's `classification.codes` that claims it.
 * @param {any} doc
 * @param {any} state a call state of the export
 * @param {number} code
 */
export function classifyCode(doc, state, code) {
  for (const rule of doc.classification.codes) {
    if (rule.source === "step") {
      const own = state.call.errors.find((e) => e.code === code);
      if (own !== undefined) return own.outcome;
    } else if (rule.source === "codes") {
      if (rule.codes.includes(code)) return rule.outcome;
    } else if (rule.source === "step_other") {
      if (state.call.other_errors !== null) return state.call.other_errors;
    } else {
      return rule.outcome;
    }
  }
  throw new Error("the export's classification has no rule for any code");
}

/**
 * The value a result is read by: the first of the output's field and aliases present (even when it holds null),
 * or null.
 * @param {any} output a call's `output` table
 * @param {Record<string, unknown>} result
 */
export function readField(output, result) {
  for (const name of [output.field, ...output.aliases]) {
    if (Object.hasOwn(result, name)) return result[name];
  }
  return null;
}

/**
 * The outcome of a SUCCEEDED `result` for the call `entry` (the export's `calls[...]`), or MalformedMessage.
 * @param {any} doc
 * @param {any} entry
 * @param {Record<string, unknown>|null} result
 */
export function classifyResult(doc, entry, result) {
  const output = entry.output;
  const text = doc.messages;
  if (output.field === null) return output.done;
  if (result === null) throw new MalformedMessage("result", "missing", { text });
  const value = readField(output, result);
  // Python holds a secret field's string as a Secret, which is never "absent" (not even when empty).
  const secret = typeof value === "string" && doc.secrets.names.includes(output.field);
  if (value === null || (value === "" && !secret)) {
    if (output.absent !== null) return output.absent;
    throw new MalformedMessage(`result.${output.field}`, "missing", { text });
  }
  for (const { value: accepted, outcome } of output.values) {
    if (!secret && typeof value === typeof accepted && value === accepted) return outcome; // true is not 1, "false" not false
  }
  if (output.any_string !== null && typeof value === "string") return output.any_string;
  const type = value === NESTED ? "_Nested" : secret ? "Secret" : pyType(value);
  throw new MalformedMessage(`result.${output.field}`, `unexpected value of type ${type}`, { text });
}

/**
 * The outcome of a parsed message at a call state.
 * @param {any} doc
 * @param {any} state
 * @param {import("./messages.js").Message} message
 */
export function classify(doc, state, message) {
  if (message.errorCode !== null) return classifyCode(doc, state, message.errorCode);
  return classifyResult(doc, doc.calls[state.call.entry], message.result);
}

/**
 * The outcome of the port throwing `error` (or of a message that could not be parsed): the first rule of the
 * export's `classification.exceptions` whose name is the error's (a {@link MalformedMessage} is one by class).
 * @param {any} doc
 * @param {unknown} error
 */
export function classifyException(doc, error) {
  const name = errorName(error);
  for (const rule of doc.classification.exceptions) {
    if (rule.name === MalformedMessage.name ? error instanceof MalformedMessage : name === rule.name) return rule.outcome;
  }
  return doc.classification.exception_default;
}

/** The class name of what was thrown (`err.name`, else its constructor's name), as Python names an exception. */
export function errorName(error) {
  if (error !== null && typeof error === "object") {
    const name = /** @type {any} */ (error).name;
    if (typeof name === "string" && name) return name;
    const ctor = /** @type {any} */ (error).constructor;
    if (typeof ctor === "function" && ctor.name) return ctor.name;
  }
  return pyType(error);
}
