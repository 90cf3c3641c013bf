/**
 * The options of a run, checked as Python's `fsm.options.make_options` checks them, from the export's
 * `options` table: the same names, defaults, allowed values, bounds and SDK-version rule.
 * @module
 */

import { OptionError, pyRepr } from "./errors.js";

/**
 * @typedef {Record<string, string|number>} Options every option of the export, by name
 */

/**
 * Parse an SDK version as Python does: `"2.3.0"` or `"2.1"`, at least the export's lowest.
 * @param {any} field the `sdk_version` row of the export's options
 * @param {unknown} text
 * @returns {number[]} [major, minor, patch]
 */
export function parseVersion(field, text) {
  if (typeof text !== "string") throw new OptionError(field.name, "must be a string such as '2.3.0'");
  const m = new RegExp(`^(?:${field.pattern})$`).exec(text);
  if (m === null) throw new OptionError(field.name, "must look like '2.3.0'");
  const version = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (compare(version, field.at_least) < 0) {
    throw new OptionError(field.name, `the enrollment APIs exist from SDK ${field.at_least.slice(0, 2).join(".")} on`);
  }
  return version;
}

/** Compare two versions (arrays of numbers) as Python compares tuples. */
export function compare(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Every option, the given ones checked and the others at their defaults; throws {@link OptionError} naming
 * the first bad one, in Python's order (unknown names, then the SDK version, then the fields in order).
 * @param {any} doc the export document
 * @param {Record<string, unknown>} given
 * @returns {Options}
 */
export function makeOptions(doc, given = {}) {
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new OptionError("options", "must be an object of options");
  }
  const fields = doc.options.fields;
  const known = fields.map((f) => f.name);
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) throw new OptionError(name, `unknown option; known options: ${known.join(", ")}`);
  }
  /** @type {Options} */
  const out = {};
  for (const f of fields) out[f.name] = Object.hasOwn(given, f.name) ? /** @type {any} */ (given[f.name]) : f.default;
  // Python computes the parsed SDK version while it builds the options, before any other check.
  for (const f of fields) if (f.type === "version") parseVersion(f, out[f.name]);
  for (const f of fields) {
    const value = out[f.name];
    if (f.type === "choice" && (typeof value !== "string" || !f.allowed.includes(value))) {
      throw new OptionError(f.name, `must be one of ${f.allowed.join(", ")}`);
    }
    if (f.type === "integer" && !(Number.isInteger(value) && f.minimum <= value && value <= f.maximum)) {
      throw new OptionError(f.name, `must be an integer from ${f.minimum} to ${f.maximum}`);
    }
  }
  return out;
}

/** The SDK version of `options` as [major, minor, patch]. */
export function sdkOf(doc, options) {
  const field = doc.options.fields.find((f) => f.type === "version");
  return parseVersion(field, options[field.name]);
}

/**
 * Whether each flag guard of the export holds under `options` (e.g. "shortcut allowed": method auto and an
 * SDK recent enough).
 * @returns {Record<string, boolean>}
 */
export function flags(doc, options) {
  const sdk = sdkOf(doc, options);
  return Object.fromEntries(Object.entries(doc.options.flags).map(([name, rule]) => [
    name, options.method === rule.method && compare(sdk, rule.sdk_at_least) >= 0,
  ]));
}

/** The bound of each counter under `options`. */
export function bounds(doc, options) {
  return Object.fromEntries(doc.counters.map((c) => [c.name, "option" in c.bound ? options[c.bound.option] : c.bound.constant]));
}

/** Whether the flow may run on the SDK of `options` (the export's `sdk_since`); throws OptionError if not. */
export function checkSdk(doc, options) {
  const need = doc.flow.sdk_since;
  if (compare(sdkOf(doc, options).slice(0, 2), need) < 0) {
    throw new OptionError(doc.options.fields.find((f) => f.type === "version").name, `flow ${pyRepr(doc.flow.name)} needs SDK ${need.join(".")} or later`);
  }
}
