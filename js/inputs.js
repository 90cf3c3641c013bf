/**
 * What a valid answer looks like, from the export's `inputs` (patterns matched in full, ASCII classes only)
 * and `new_pin` rules (named, with their parameters): the same judgement as Python's `fsm.inputs.valid`.
 * @module
 */

import { tables } from "./document.js";

/**
 * The first new-PIN rule of the export that refuses `value` (a string of digits), or null: a rule of kind
 * `constant_step` refuses a PIN whose every digit follows the one before by the same step, one of `steps`.
 * @param {any} doc
 * @param {string} value
 */
export function brokenPinRule(doc, value) {
  const steps = new Set();
  for (let i = 1; i < value.length; i++) steps.add(Number(value[i]) - Number(value[i - 1]));
  if (steps.size !== 1) return null;
  const [step] = steps;
  return doc.new_pin.rules.find((r) => r.kind === "constant_step" && r.steps.includes(step)) ?? null;
}

/**
 * Whether `value` is an acceptable answer for the input `name` (a new PIN must also pass the PIN rules).
 * @param {any} doc
 * @param {string} name
 * @param {unknown} value
 * @param {boolean} newPin
 */
export function valid(doc, name, value, newPin) {
  if (typeof value !== "string") return false;
  const pattern = tables(doc).patterns.get(name);
  if (pattern === undefined || !pattern.test(value)) return false;
  return !(newPin && brokenPinRule(doc, value) !== null);
}
