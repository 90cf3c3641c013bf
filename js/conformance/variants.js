/**
 * The option variants the conformance tests replay `fsm paths` under. By default a pairwise covering set
 * (every pair of values of platform, dialect, method and SDK version in some variant: 5 variants) and the
 * lowest bounds twice; `FSM_CONFORMANCE=full` takes every combination (16) and the lowest bounds twice.
 * @module
 */

const FACTORS = {
  platform: ["android", "ios"],
  dialect: ["tutorial", "reference"],
  method: ["auto", "full"],
  sdk_version: ["2.0.0", "2.3.0"],
};
/**
 * Rows of a pairwise covering array of four two-valued factors (each pair of columns sees 00, 01, 10 and 11);
 * the first row is the defaults (android, tutorial, auto, 2.3.0).
 */
const PAIRWISE = [[0, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]];
const LOWEST = { max_pin_attempts: 1, max_code_attempts: 1, max_restarts: 0, max_transient_retries: 0 };

function row(indices) {
  return Object.fromEntries(Object.entries(FACTORS).map(([name, values], i) => [name, values[indices[i]]]));
}

/** The variants: options objects for `fsm paths`. */
export function variants(mode = process.env.FSM_CONFORMANCE) {
  const rows = mode === "full"
    ? Array.from({ length: 16 }, (_, n) => [3, 2, 1, 0].map((bit) => (n >> bit) & 1))
    : PAIRWISE;
  return [
    ...rows.map(row),
    { ...LOWEST },
    { platform: "ios", dialect: "reference", method: "full", sdk_version: "2.1", ...LOWEST },
  ];
}
