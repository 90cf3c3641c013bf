/**
 * Single-field edits of a snapshot, as a careless or hostile host might make them: every other state, each
 * counter one up, one down, at its bound and past it, each value dropped, made invalid or added, each option
 * changed to each other value it may take (a bound to its lowest and one above its default), out of range, of
 * the wrong type, or missing, the version, the flow, the end and
 * the last move changed, the trace shortened. Derived from the export (no state or rule is named here).
 * @module
 */

/**
 * @param {any} doc the export of the snapshot's flow
 * @param {Record<string, any>} documents every export, by flow name
 * @param {any} snapshot
 * @returns {{what: string, snapshot: any}[]}
 */
export function edits(doc, documents, snapshot) {
  const out = [];
  const edit = (what, change) => {
    const copy = structuredClone(snapshot);
    change(copy);
    out.push({ what, snapshot: copy });
  };
  for (const s of doc.states) if (s.name !== snapshot.state) edit(`state ${s.name}`, (c) => { c.state = s.name; });
  for (const counter of doc.counters) {
    const name = counter.name;
    const bound = "option" in counter.bound ? snapshot.options[counter.bound.option] : counter.bound.constant;
    for (const [what, value] of [["+1", snapshot.counters[name] + 1], ["-1", snapshot.counters[name] - 1],
      ["at its bound", bound], ["past its bound", bound + 1], ["a string", "1"], ["true", true]]) {
      edit(`counter ${name} ${what}`, (c) => { c.counters[name] = value; });
    }
  }
  for (const slot of doc.snapshot.kept_slots) {
    if (Object.hasOwn(snapshot.values, slot)) {
      edit(`value ${slot} dropped`, (c) => { delete c.values[slot]; });
      edit(`value ${slot} invalid`, (c) => { c.values[slot] = "x"; });
      edit(`value ${slot} not a string`, (c) => { c.values[slot] = 612345678; });
    } else {
      const input = doc.states.find((s) => s.kind === "question" && s.question.slot === slot)?.question.input ?? slot;
      const valid = { phoneNumber: "0612345678", vin: "VF7ABCDE123456789" }[input] ?? "x";
      edit(`value ${slot} added`, (c) => { c.values[slot] = valid; });
    }
  }
  edit("a secret value added", (c) => { c.values[doc.secrets.slots[0]] = "402718"; });
  for (const field of doc.options.fields) {
    const others = field.type === "choice" ? field.allowed
      // (not the maximum, 1000: a walk of every configuration under it takes minutes, in Python more than its limit)
      : field.type === "integer" ? [field.minimum, field.default + 1, field.minimum - 1, field.maximum + 1, String(field.default)]
        : ["2.0.0", "2.1", "2.0", "1.9.0", "x"];
    for (const value of others) {
      if (value !== snapshot.options[field.name]) edit(`option ${field.name} ${JSON.stringify(value)}`, (c) => { c.options[field.name] = value; });
    }
    edit(`option ${field.name} missing`, (c) => { delete c.options[field.name]; });
  }
  edit("version 2", (c) => { c.version = 2; });
  for (const name of Object.keys(documents)) if (name !== snapshot.flow) edit(`flow ${name}`, (c) => { c.flow = name; });
  edit("unknown key", (c) => { c.extra = 1; });
  edit("trace shortened", (c) => { c.trace = c.trace.slice(0, -1); });
  edit("last cleared", (c) => { c.last = ["", null, ""]; });
  edit("end cleared", (c) => { c.end = null; });
  for (const cause of Object.keys(doc.ends.causes).slice(0, 3)) edit(`end ${cause}`, (c) => { c.end = [cause, null, ""]; });
  edit("seen with an empty id", (c) => { c.seen = [...c.seen, ""]; });
  return out;
}
