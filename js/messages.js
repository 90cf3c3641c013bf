/**
 * Strict parsing of SDK messages, rule for rule as Python's `fsm.messages.parse_message`, with the limits of
 * the export's `messages` table: `true` is not a code, `"false"` is not `false`, an unknown status is an error.
 * @module
 */

import { MalformedMessage, UnknownStatus, pyType } from "./errors.js";

/** The marker a nested result value becomes (the flows never read one; Python keeps a marker too). */
export const NESTED = Object.freeze({ nested: true });

/**
 * @typedef {object} Message
 * @property {string} transactionId
 * @property {string} status
 * @property {Record<string, unknown>|null} result flat values only (nested ones are {@link NESTED})
 * @property {number|null} errorCode
 */

/** The length of `text` in code points, as Python's `len` counts it. */
export function length(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `obj[key]` when `obj` has it as its own key, else null (as Python's `dict.get`). */
function get(obj, key) {
  return Object.hasOwn(obj, key) ? obj[key] ?? null : null;
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * An `error.code`: an integer (not a boolean), or a string of 1 to `max_code_digits` ASCII digits.
 * @param {any} limits the export's `messages` table
 */
export function parseCode(limits, code, text) {
  if (typeof code === "number" && Number.isInteger(code) && code >= 0) return code === 0 ? 0 : code;
  if (typeof code === "string" && code.length > 0 && code.length <= limits.max_code_digits && /^[0-9]+$/.test(code)) {
    return Number(code);
  }
  throw new MalformedMessage("error.code", "not an integer or a string of digits", { text });
}

/**
 * Parse one SDK message strictly, or throw {@link MalformedMessage} (without a step: the flow adds it).
 * @param {any} limits the export's `messages` table
 * @param {unknown} raw
 * @returns {Message}
 */
export function parseMessage(limits, raw) {
  const text = limits;
  const bad = (field, problem) => new MalformedMessage(field, problem, { text });
  if (!isObject(raw)) throw bad("message", `not an object (got ${pyType(raw)})`);
  const msg = /** @type {Record<string, any>} */ (raw);
  const tid = get(msg, "transactionId");
  if (typeof tid !== "string" || tid.length === 0 || length(tid) > limits.max_transaction_id) {
    throw bad("transactionId", tid === null ? "missing" : "not a non-empty string of bounded length");
  }
  if (!Object.hasOwn(msg, "status")) throw bad("status", "missing");
  const status = msg.status;
  if (typeof status !== "string") throw bad("status", "not a string");
  /** @type {Record<string, unknown>|null} */
  let flat = null;
  let code = null;
  if (status === limits.statuses.succeeded) {
    if (get(msg, "error") !== null) throw bad("error", "present on a SUCCEEDED message");
    const result = get(msg, "result");
    if (result !== null) {
      if (!isObject(result)) throw bad("result", `not an object (got ${pyType(result)})`);
      const keys = Object.keys(result);
      if (keys.length > limits.max_result_fields) throw bad("result", "too many fields");
      flat = {};
      for (const k of keys) {
        const v = result[k];
        if (typeof v === "string") {
          if (length(v) > limits.max_field) throw bad(`result.${k}`, "string too long");
          flat[k] = v;
        } else if (v === null || typeof v === "boolean" || typeof v === "number") {
          flat[k] = v;
        } else {
          flat[k] = NESTED;
        }
      }
    }
  } else if (status === limits.statuses.failed) {
    const error = get(msg, "error");
    if (error === null) throw bad("error", "missing on a FAILED message");
    if (!isObject(error)) throw bad("error", "not an object");
    if (!Object.hasOwn(error, "code")) throw bad("error.code", "missing");
    code = parseCode(limits, error.code, text);
  } else {
    throw new UnknownStatus("status", "unknown value (only SUCCEEDED and FAILED are accepted)", { text });
  }
  return { transactionId: tid, status, result: flat, errorCode: code };
}
