// One step through XState: the Python engine's step benchmark (benchmarks/step.py), the same call steps and
// messages, made by the js/ package (the export run by XState v5). Called by benchmarks/xstate.py:
//   node xstate_step.mjs STEPS ROUNDS PATH_JSON
// where PATH_JSON is [[state, result, target], ...] and the values held ({slot: [value, secret]}); prints
// {"best_us": ..., "rounds_us": [...], "moves": [...]} (moves: where each of three rounds of the path went).
import { readFileSync } from "node:fs";

import { Flow, machineOf } from "../js/index.js";
import { initialContext } from "../js/machine.js";
import { makeOptions } from "../js/options.js";

const [steps, rounds] = [Number(process.argv[2]), Number(process.argv[3])];
const { path, held, flow: name } = JSON.parse(process.argv[4]);
const doc = JSON.parse(readFileSync(new URL(`../export/${name}.json`, import.meta.url), "utf8"));
const machine = machineOf(doc);
const context = initialContext(doc, makeOptions(doc, {}));
// Each step's configuration (its state, every counter at 0), resolved by XState once.
const snaps = path.map(([state]) => machine.resolveState({ value: state, context }));
const values = new Map(Object.entries(held).map(([slot, [value, secret]]) => [slot, { value, secret }]));
const WARM = 10_000;
const messages = Array.from({ length: Math.max(steps, WARM) }, (_, i) => ({
  transactionId: `tx-${i}`, status: "SUCCEEDED", result: path[i % path.length][1],
}));

/** `n` steps: a flow at the step's configuration takes the SDK's message, then says its next action. */
function run(n, moves = null) {
  const k = path.length;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const flow = new Flow(doc, snaps[i % k], { values });
    flow.receive(messages[i]);
    flow.action; // eslint-disable-line no-unused-expressions -- the next action is part of a step
    if (moves !== null) moves.push(flow.state);
  }
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

const moves = [];
run(3 * path.length, moves);
run(WARM); // warm up the JIT (the Python side runs warm too)
const times = Array.from({ length: rounds }, () => run(steps));
process.stdout.write(`${JSON.stringify({ best_us: Math.min(...times), rounds_us: times, moves })}\n`);
