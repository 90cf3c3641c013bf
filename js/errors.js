/**
 * The errors of the flow, shaped like Python's (`fsm.errors`): structured fields, and a message that never
 * holds a secret (callers pass names — a step, a field, a class name — never values).
 * @module
 */

/** Python's `repr` of a string, for messages that quote a name exactly as the Python engine does. */
export function pyRepr(text) {
  const s = String(text);
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Python's type name of a JSON value (what `type(value).__name__` says of the value Python would parse). */
export function pyType(value) {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (Array.isArray(value)) return "list";
  return "dict";
}

/** Base of every error the flow throws on purpose. */
export class FsmError extends Error {
  get name() {
    return this.constructor.name;
  }
}

/**
 * An SDK message is not well formed; it is never guessed into a success. `field` names the offending part
 * (`status`, `result.isDeviceActivated`, ...), `step` the step that received it when known.
 */
export class MalformedMessage extends FsmError {
  /**
   * @param {string} field
   * @param {string} problem
   * @param {{step?: string|null, text?: {malformed_text: string, malformed_where: string}}} [where]
   */
  constructor(field, problem, { step = null, text = MalformedMessage.text } = {}) {
    const at = step === null ? "" : format(text.malformed_where, { step });
    super(format(text.malformed_text, { where: at, field, problem }));
    this.field = field;
    this.problem = problem;
    this.step = step;
    this.text = text;
  }

  /** The same error, located at `step` (keeps the subclass). */
  atStep(step) {
    return new /** @type {typeof MalformedMessage} */ (this.constructor)(this.field, this.problem,
      { step, text: this.text });
  }
}
/** The words of a malformed message until a document gives its own (the same as Python's). */
MalformedMessage.text = { malformed_text: "{where}malformed message: {field}: {problem}", malformed_where: "step {step}: " };

/** `status` is a string but neither SUCCEEDED nor FAILED. */
export class UnknownStatus extends MalformedMessage {}

/** The flow was asked for something its current state does not allow; the flow is left unchanged. */
export class FlowStateError extends FsmError {
  constructor(state, problem) {
    super(`in state ${pyRepr(state)}: ${problem}`);
    this.state = state;
    this.problem = problem;
  }
}

/** A message whose `transactionId` the flow has already consumed (a duplicate or a late answer). */
export class StaleMessage extends FlowStateError {}

/** A run option is missing, unknown or out of range. */
export class OptionError extends FsmError {
  constructor(option, problem) {
    super(`option ${pyRepr(option)}: ${problem}`);
    this.option = option;
    this.problem = problem;
  }
}

/** No flow of this name, or an export this package cannot read. */
export class UnknownFlow extends FsmError {}

/** A snapshot is truncated, tampered with, of an unknown version, or may not be resumed. */
export class SnapshotInvalid extends FsmError {
  constructor(problem) {
    super(`invalid snapshot: ${problem}`);
    this.problem = problem;
  }
}

/**
 * Python's `str.format` for the simple templates of the export (`"{state} at step {step}: {words}"`).
 * @param {string} template
 * @param {Record<string, unknown>} values
 */
export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
}
