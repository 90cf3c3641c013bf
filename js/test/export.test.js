// The export the package runs is the one Python writes now, and all of it is in the XState machine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { machineOf, start } from "../index.js";
import { committedExports, freshExport } from "../conformance/python.js";

const documents = committedExports();

describe("the export", () => {
  it("is committed for the six flows and equals a fresh `fsm export`", async () => {
    const fresh = await freshExport();
    assert.deepEqual(Object.keys(documents).sort(), Object.keys(fresh).filter((f) => f !== "schema.json").map((f) => f.slice(0, -5)).sort());
    assert.equal(Object.keys(documents).length, 6);
    for (const [name, text] of Object.entries(fresh)) {
      if (name === "schema.json") continue;
      assert.deepEqual(documents[name.slice(0, -5)], JSON.parse(text), `export/${name} is stale: run fsm export`);
    }
  });

  it("is refused when it is not an fsm export of version 1", () => {
    const doc = structuredClone(documents.enrollment);
    assert.throws(() => start({ ...doc, version: 2 }, {}), /version 2/);
    assert.throws(() => start({ ...doc, format: "other" }, {}), /not an fsm export/);
  });
});

describe("the XState machine", () => {
  for (const [name, doc] of Object.entries(documents)) {
    it(`${name}: every state and edge of the export, in order, guards named and parameterised`, () => {
      const machine = machineOf(doc);
      assert.equal(machine.id, name);
      // (an object: integer-like keys such as "8" come first, so compared as sets)
      assert.deepEqual(Object.keys(machine.root.states).sort(), doc.states.map((s) => s.name).sort());
      assert.equal(machine.root.initial.target[0].key, doc.flow.initial);
      for (const state of doc.states) {
        const node = machine.root.states[state.name];
        assert.equal(node.type, state.kind === "terminal" ? "final" : "atomic");
        const config = [];
        for (const [event, transitions] of node.transitions) {
          for (const t of transitions) config.push({ event, target: t.target[0].key, guard: t.guard ?? null, actions: t.actions });
        }
        // The transitions map groups an event's alternatives in table order; the export's edges, grouped alike.
        const grouped = [...new Set(state.edges.map((e) => e.outcome))].flatMap((o) => state.edges.filter((e) => e.outcome === o));
        assert.equal(config.length, grouped.length);
        grouped.forEach((edge, i) => {
          const t = config[i];
          assert.equal(t.event, edge.outcome);
          assert.equal(t.target, edge.target);
          const guard = edge.guard === null ? null
            : edge.guard.kind === "below" ? { type: "below", params: { counter: edge.guard.counter } }
              : { type: "flag", params: { name: edge.guard.name } };
          assert.deepEqual(t.guard, guard);
          assert.deepEqual(t.actions, [{ type: "move", params: { outcome: edge.outcome, target: edge.target, add: edge.add,
            reset: edge.reset, end: doc.ends.terminals.includes(edge.target) ? [edge.cause, edge.code] : null } }]);
        });
      }
    });
  }

  it("keeps the counters in its context and changes them by its assign action", () => {
    const flow = start(documents.enrollment, {});
    assert.deepEqual(flow.xstate.context.counters, Object.fromEntries(documents.enrollment.counters.map((c) => [c.name, 0])));
    flow.receive({ transactionId: "t1", status: "FAILED", error: { code: 2201 } });
    assert.equal(flow.xstate.context.counters.transient_retries, 1);
    assert.equal(flow.xstate.value, documents.enrollment.flow.initial);
  });
});
