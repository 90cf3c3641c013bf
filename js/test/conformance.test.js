// Conformance: every transcript `fsm paths` writes now (the recorded Python runs), replayed through the XState
// flow and through `fsm serve --stdio`, with the same calls, questions and ends; snapshots at every step equal
// to Python's, resumed alike, and single-field edits of them accepted or refused alike.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";

import { edits } from "../conformance/edits.js";
import { lockstep, resumeBoth } from "../conformance/lockstep.js";
import { Bridge, committedExports, transcripts } from "../conformance/python.js";
import { recorded, replay, replayBridge } from "../conformance/replay.js";
import { variants } from "../conformance/variants.js";

const FULL = process.env.FSM_CONFORMANCE === "full";
const documents = committedExports();
const VARIANTS = variants();
/** Steps each resumed flow is driven on, side by side with Python's. */
const DRIVE = 25;
/** Snapshots whose single-field edits are all tried (spread evenly over the distinct ones). */
const EDITED = FULL ? 600 : 40;

/** @type {{file: string, variant: number, transcript: any}[]} */
let all = [];
/** @type {Bridge} */
let bridge;

before(async () => {
  all = await transcripts(Object.keys(documents), VARIANTS);
  bridge = new Bridge();
});

after(async () => {
  if (bridge === undefined) return; // before() failed: its error is the report
  const code = await bridge.close();
  assert.equal(code, 0);
  assert.equal(bridge.stderr, "", "the bridge wrote to standard error");
});

/** A difference between what a replay saw and what the transcript recorded, or null. */
function differs(file, transcript, got) {
  const want = transcript.events.map(recorded);
  for (let i = 0; i < want.length; i++) {
    if (!isDeepStrictEqual(got.seen[i], want[i])) {
      return `${file} event ${i}: recorded ${JSON.stringify(want[i])}, got ${JSON.stringify(got.seen[i])}`;
    }
  }
  if (!isDeepStrictEqual(got.end, transcript.outcome)) {
    return `${file}: recorded end ${JSON.stringify(transcript.outcome)}, got ${JSON.stringify(got.end)}`;
  }
  if (got.last !== null) return `${file}: the run goes on after the recorded end`;
  return null;
}

describe(`fsm paths transcripts (${VARIANTS.length} option variants${FULL ? ", full" : ""})`, () => {
  it("cover all six flows under every variant, and the fault paths", () => {
    for (let v = 0; v < VARIANTS.length; v++) {
      const flows = new Set(all.filter((t) => t.variant === v).map((t) => t.transcript.flow));
      assert.deepEqual([...flows].sort(), Object.keys(documents).sort(), `variant ${JSON.stringify(VARIANTS[v])}`);
    }
    const events = all.flatMap((t) => t.transcript.events);
    const ends = all.map((t) => t.transcript.outcome);
    const has = (what, test) => assert.ok(events.some(test), `no transcript has ${what}`);
    has("a transient FAILED code", (e) => e.message?.error?.code === 2201);
    has("a connection error", (e) => e.raises === "ConnectionError");
    has("a port error", (e) => e.raises === "RuntimeError");
    has("FAILED 2317", (e) => e.message?.error?.code === 2317);
    has("a malformed message", (e) => e.message !== undefined && !("status" in e.message));
    has("a result field of the wrong type", (e) => Object.values(e.message?.result ?? {}).some(Array.isArray));
    has("an invalid answer", (e) => e.outcome === "invalid");
    has("a cancel", (e) => e.reply === "CANCEL");
    has("a forgot PIN", (e) => e.reply === "FORGOT_PIN");
    has("a question asked again", (e) => e.attempt > 1 && e.why !== null);
    assert.ok(ends.some((o) => o.cause === "transient_retries_exhausted"), "no run exhausts its retries");
    assert.ok(ends.some((o) => o.cause === "restarts_exhausted"), "no run exhausts its restarts (2317 -> A)");
    assert.ok(all.some((t) => t.transcript.events.some((e, i, list) => e.message?.error?.code === 2317
      && list[i + 1]?.call?.parameters?.action === "remove")), "no 2317 leads to A (remove all enrollments)");
  });

  it("replay through XState with the same calls, questions and ends as the Python run", (t) => {
    const problems = [];
    let steps = 0;
    for (const { file, transcript } of all) {
      steps += transcript.events.length;
      try {
        const problem = differs(file, transcript, replay(documents, transcript));
        if (problem) problems.push(problem);
      } catch (error) {
        problems.push(`${file}: ${error.stack}`);
      }
    }
    t.diagnostic(`${all.length} transcripts, ${steps} events replayed through XState`);
    assert.deepEqual(problems.slice(0, 5), []);
  });

  it("replay through `fsm serve --stdio` with the same calls, questions and ends", async (t) => {
    const problems = [];
    for (const { file, transcript } of all) {
      const problem = differs(file, transcript, await replayBridge(bridge, transcript));
      if (problem) problems.push(problem);
    }
    t.diagnostic(`${all.length} transcripts replayed through the bridge`);
    assert.deepEqual(problems.slice(0, 5), []);
  });
});

describe("snapshots and resume, XState against Python", () => {
  /** Distinct snapshots (one per configuration, options, last move and end), as Python wrote them. */
  const distinct = new Map();

  it("a snapshot at every step is Python's document", async (t) => {
    const problems = [];
    let taken = 0;
    for (const { file, transcript } of all) {
      const found = await lockstep(documents, bridge, transcript, (snapshot) => {
        taken += 1;
        const key = JSON.stringify({ ...snapshot, seen: null, trace: snapshot.trace.at(-1)?.state ?? null });
        if (!distinct.has(key)) distinct.set(key, snapshot);
      });
      problems.push(...found.map((p) => `${file}: ${p}`));
    }
    t.diagnostic(`${taken} snapshots compared, ${distinct.size} distinct configurations`);
    assert.deepEqual(problems.slice(0, 3), []);
  });

  it("every snapshot resumes at the same place, and the resumed flows go on alike", async (t) => {
    const problems = [];
    let accepted = 0;
    for (const snapshot of distinct.values()) {
      const result = await resumeBoth(documents, bridge, snapshot, DRIVE);
      accepted += result.accepted ? 1 : 0;
      problems.push(...result.problems.map((p) => `${snapshot.flow} at ${snapshot.state}: ${p}`));
    }
    t.diagnostic(`${distinct.size} snapshots resumed (${accepted} accepted), each driven ${DRIVE} steps`);
    assert.ok(accepted > 0 && accepted < distinct.size, "some snapshots are refused (finished successes)");
    assert.deepEqual(problems.slice(0, 3), []);
  });

  it("single-field edits are accepted or refused alike, and resume at the same place", async (t) => {
    const problems = [];
    let tried = 0;
    let accepted = 0;
    const every = Math.max(1, Math.ceil(distinct.size / EDITED));
    let n = 0;
    for (const snapshot of distinct.values()) {
      if (n++ % every !== 0) continue;
      for (const { what, snapshot: edited } of edits(documents[snapshot.flow], documents, snapshot)) {
        tried += 1;
        const result = await resumeBoth(documents, bridge, edited, 0);
        accepted += result.accepted ? 1 : 0;
        problems.push(...result.problems.map((p) => `${snapshot.flow} at ${snapshot.state}, ${what}: ${p}`));
      }
    }
    t.diagnostic(`${tried} edited snapshots (${accepted} accepted by both)`);
    assert.ok(accepted > 0 && accepted < tried);
    assert.deepEqual(problems.slice(0, 3), []);
  });
});
