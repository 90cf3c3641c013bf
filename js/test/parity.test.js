// Hostile messages, bad answers and bad options: the XState flow refuses and reads them exactly as Python does
// (the oracle is the Python engine itself, through `fsm serve --stdio`).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { CANCEL, FORGOT_PIN, FlowStateError, MalformedMessage, OptionError, StaleMessage, start } from "../index.js";
import { Bridge, committedExports } from "../conformance/python.js";
import { answerParams, observed } from "../conformance/replay.js";
import { resumeBoth, snake } from "../conformance/lockstep.js";

const documents = committedExports();
/** @type {Bridge} */
let bridge;
before(() => { bridge = new Bridge(); });
after(async () => {
  assert.equal(await bridge.close(), 0);
  assert.equal(bridge.stderr, "");
});

const LONG = "x".repeat(200);
/** Messages for step 1 (isDeviceActivated) and step 3 (the phone number), well formed or not. */
const MESSAGES = [
  null, 1, "SUCCEEDED", [], true,
  {}, { status: "SUCCEEDED" }, { transactionId: "", status: "SUCCEEDED" }, { transactionId: 7, status: "SUCCEEDED" },
  { transactionId: LONG, status: "SUCCEEDED" }, { transactionId: "x".repeat(128), status: "FAILED", error: { code: 2201 } },
  { transactionId: "\u{1F600}".repeat(128), status: "FAILED", error: { code: 2201 } },
  { transactionId: "t" }, { transactionId: "t", status: null }, { transactionId: "t", status: 1 },
  { transactionId: "t", status: "succeeded" }, { transactionId: "t", status: " SUCCEEDED" }, { transactionId: "t", status: "PENDING" },
  { transactionId: "t", status: "SUCCEEDED", error: { code: 2201 } }, { transactionId: "t", status: "SUCCEEDED", error: {} },
  { transactionId: "t", status: "SUCCEEDED", error: null, result: { isDeviceActivated: true } },
  { transactionId: "t", status: "SUCCEEDED" }, { transactionId: "t", status: "SUCCEEDED", result: null },
  { transactionId: "t", status: "SUCCEEDED", result: [] }, { transactionId: "t", status: "SUCCEEDED", result: "x" },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: "false" } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: 0 } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: 1.5 } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: null } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: "" } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: { nested: true } } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: [true] } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: "x".repeat(4097) } },
  { transactionId: "t", status: "SUCCEEDED", result: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: false } },
  { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: true, other: [1, { a: 2 }] } },
  { transactionId: "t", status: "FAILED" }, { transactionId: "t", status: "FAILED", error: null },
  { transactionId: "t", status: "FAILED", error: "2201" }, { transactionId: "t", status: "FAILED", error: [] },
  { transactionId: "t", status: "FAILED", error: {} }, { transactionId: "t", status: "FAILED", error: { code: null } },
  { transactionId: "t", status: "FAILED", error: { code: true } }, { transactionId: "t", status: "FAILED", error: { code: -1 } },
  { transactionId: "t", status: "FAILED", error: { code: 2317.5 } }, { transactionId: "t", status: "FAILED", error: { code: "" } },
  { transactionId: "t", status: "FAILED", error: { code: "2317" } }, { transactionId: "t", status: "FAILED", error: { code: "02317" } },
  { transactionId: "t", status: "FAILED", error: { code: "123456789" } }, { transactionId: "t", status: "FAILED", error: { code: "1234567890" } },
  { transactionId: "t", status: "FAILED", error: { code: " 2317" } }, { transactionId: "t", status: "FAILED", error: { code: "\u0662\u0663" } },
  { transactionId: "t", status: "FAILED", error: { code: "2e3" } }, { transactionId: "t", status: "FAILED", error: { code: 2307, label: "x" } },
  { transactionId: "t", status: "FAILED", error: { code: 9999 } }, { transactionId: "t", status: "FAILED", error: { code: 2101 } },
];

/** What Python's flow and the XState flow do with `message` at the state reached by `before`. */
async function both(flow, options, before, message) {
  const js = start(documents[flow], options);
  const { session } = await bridge.result("start", { flow, options });
  for (const m of before) {
    js.receive(m);
    await bridge.result("receive", { session, message: m });
  }
  const was = JSON.stringify(js.snapshot());
  let mine;
  try {
    js.receive(message);
    mine = { action: snake(js.action), outcome: snake(js.outcome) };
  } catch (error) {
    mine = { error: error.name, message: error.message };
    assert.equal(JSON.stringify(js.snapshot()), was, "a refused message leaves the flow unchanged");
  }
  const response = await bridge.call("receive", { session, message });
  const python = response.error
    ? { error: response.error.data.type === "MalformedMessage" ? (response.error.message.includes("unknown value") ? "UnknownStatus" : "MalformedMessage") : response.error.data.type, message: response.error.message }
    : response.result;
  await bridge.result("close", { session });
  return { mine, python };
}

describe("messages", () => {
  it("every hostile or odd message is refused (or read) exactly as Python does, at steps 1 and 3", async () => {
    const ok = (result) => ({ transactionId: `b${Math.random()}`, status: "SUCCEEDED", result });
    for (const [flow, before] of [["enrollment", []], ["enrollment", [ok({ isDeviceActivated: false }), ok({ isAccountBlocked: "NotBlocked" })]]]) {
      for (const message of MESSAGES) {
        const result = message !== null && typeof message === "object" ? message.result : undefined;
        const phoneMessage = before.length && result !== null && typeof result === "object" && !Array.isArray(result)
          && "isDeviceActivated" in result
          ? { ...message, result: { phoneNumber: message.result.isDeviceActivated } } : message;
        const { mine, python } = await both(flow, {}, before, phoneMessage);
        assert.deepEqual(mine, python, JSON.stringify(phoneMessage)?.slice(0, 200));
      }
    }
  });

  it("a transactionId already consumed is stale (StaleMessage), the flow unchanged", async () => {
    const message = { transactionId: "same", status: "FAILED", error: { code: 2201 } };
    const { mine, python } = await both("enrollment", {}, [message], message);
    assert.equal(mine.error, "StaleMessage");
    assert.deepEqual(mine, python);
  });

  it("a message while a question is open is refused (FlowStateError)", async () => {
    const flow = start(documents["remove-vehicle"], {});
    assert.throws(() => flow.receive({ transactionId: "t", status: "SUCCEEDED" }), FlowStateError);
    assert.throws(() => flow.receive(null), FlowStateError); // the state is judged before the message
    flow.answer("VF7ABCDE123456789");
    assert.throws(() => flow.answer("VF7ABCDE123456789"), /cannot take a answer: it waits for a call/);
  });

  it("the exceptions a port raises: transient by name, anything else a port error, a malformed message failed", async () => {
    for (const name of ["ConnectionError", "TimeoutError", "RuntimeError", "TypeError", "Error"]) {
      const js = start(documents.enrollment, {});
      const { session } = await bridge.result("start", { flow: "enrollment", options: {} });
      const error = new Error("secret 402718");
      error.name = name;
      js.receiveException(error);
      const py = await bridge.result("receive_exception", { session, type: name });
      assert.deepEqual({ action: snake(js.action), outcome: snake(js.outcome) }, py, name);
      assert.ok(!JSON.stringify(js.outcome ?? {}).includes("402718"));
    }
    const js = start(documents.enrollment, {});
    const { session } = await bridge.result("start", { flow: "enrollment", options: {} });
    const bad = { transactionId: "t", status: "SUCCEEDED", result: { isDeviceActivated: "yes" } };
    let refused;
    try { js.receive(bad); } catch (error) { refused = error; }
    assert.ok(refused instanceof MalformedMessage);
    js.receiveException(refused);
    await bridge.call("receive", { session, message: bad });
    const py = await bridge.result("receive_exception", { session, type: "MalformedMessage" });
    assert.deepEqual({ action: snake(js.action), outcome: snake(js.outcome) }, py);
    assert.equal(js.outcome.cause, "malformed_message");
  });
});

describe("answers", () => {
  /** Drive both to the first question of `flow`, then give `answers` one by one; compare each action. */
  async function answers(flow, options, messages, given) {
    const js = start(documents[flow], options);
    const { session } = await bridge.result("start", { flow, options });
    for (const m of messages) {
      js.receive(m);
      await bridge.result("receive", { session, message: m });
    }
    for (const answer of given) {
      js.answer(answer);
      const py = await bridge.result("answer", answerParams(session, answer));
      assert.deepEqual({ action: snake(js.action), outcome: snake(js.outcome) }, py, String(answer));
    }
    await bridge.result("close", { session });
    return js;
  }
  const ok = (n, result) => ({ transactionId: `a${n}`, status: "SUCCEEDED", result });

  it("the shape of each input, obvious new PINs, FORGOT_PIN where it leads nowhere: asked again, then cancelled", async () => {
    const to41 = [ok(1, { isDeviceActivated: false }), ok(2, { isAccountBlocked: false }), ok(3, { phoneNumber: null })];
    await answers("enrollment", {}, to41, ["612", "+33 612345678", "\u0660612345678", FORGOT_PIN]);
    const js = await answers("enrollment", {}, to41, ["+33612345678"]);
    assert.equal(js.action.kind, "call");
    await answers("enrollment", {}, [...to41], ["0612345678"]);
    const toPin = [...to41];
    const flow = await answers("enrollment", {}, toPin, ["0612345678"]);
    assert.equal(flow.action.api, "pims.authentication.smscode");
    await answers("remove-vehicle", {}, [], ["VF7ABCDE12345678", "VF7ABCDE12345678I", "vf7abcde123456789", "VF7ABCDE123456789"]);
    await answers("update-pin", {}, [ok(1, { isDeviceActivated: true })], ["1234", "123456789", FORGOT_PIN]);
    await answers("update-pin", {}, [ok(1, { isDeviceActivated: true })], ["402718", "0000", "1234", "9876", "13579"]);
    await answers("update-pin", {}, [ok(1, { isDeviceActivated: true })], ["402718", "0000", "1234", "9876", "5432"]);
    await answers("update-pin", { max_code_attempts: 1 }, [ok(1, { isDeviceActivated: true })], ["402718", "0000", "0000"]);
    await answers("update-pin", {}, [ok(1, { isDeviceActivated: true })], ["402718", CANCEL]);
  });

  it("a non-string answer is invalid", () => {
    for (const value of [null, 1234, ["1234"], { pin: "1234" }, undefined, Symbol("x")]) {
      const flow = start(documents["remove-vehicle"], {});
      flow.answer(value);
      assert.deepEqual(observed(flow.action, null), { question: "vin", why: "invalid", attempt: 2 });
    }
  });
});

describe("options", () => {
  const CASES = [
    { platform: "windows" }, { platform: "iOS" }, { method: "shortcut" }, { dialect: "legacy" }, { sdk_version: "1.9.0" },
    { sdk_version: "2.x" }, { sdk_version: 2.3 }, { sdk_version: "2.3.0.1" }, { sdk_version: "2.1" }, { max_pin_attempts: 0 },
    { max_pin_attempts: true }, { max_pin_attempts: "3" }, { max_restarts: -1 }, { max_transient_retries: 101 },
    { max_pin_atempts: 3 }, { platform: "ios", max_pin_attempts: 0, sdk_version: "x" }, { method: "full", dialect: "reference" },
  ];
  it("a bad option is an OptionError naming it, as in Python; a flow that needs a later SDK says so", async () => {
    for (const [flow, extra] of [["enrollment", {}], ["remove-vehicle", { sdk_version: "2.0.0" }]]) {
      for (const options of [...CASES, extra]) {
        let mine = null;
        try {
          mine = { action: snake(start(documents[flow], options).action) };
        } catch (error) {
          assert.ok(error instanceof OptionError, error.stack);
          mine = { error: error.message, option: error.option };
        }
        const response = await bridge.call("start", { flow, options });
        const python = response.error ? { error: response.error.message, option: response.error.data.option }
          : { action: response.result.action };
        if (response.result) await bridge.result("close", { session: response.result.session });
        assert.deepEqual(mine, python, JSON.stringify(options));
      }
    }
  });
});

describe("the stale check survives a resume", () => {
  it("a message consumed before the snapshot is still refused", () => {
    const flow = start(documents.enrollment, {});
    const message = { transactionId: "t1", status: "FAILED", error: { code: 2201 } };
    flow.receive(message);
    assert.throws(() => flow.receive(message), StaleMessage);
  });
});

describe("held values", () => {
  it("the SDK's phone number resumes however it is written; one only an answer writes follows the answer's rule", async () => {
    const sdk = start(documents.enrollment, {});
    for (const result of [{ isDeviceActivated: false }, { isAccountBlocked: "NotBlocked" }, { phoneNumber: "0612345678" }]) {
      sdk.receive({ transactionId: `t${Object.keys(result)[0]}`, status: "SUCCEEDED", result });
    }
    const answered = start(documents["modify-phone"], {});
    answered.receive({ transactionId: "a1", status: "SUCCEEDED", result: { isDeviceActivated: true } });
    answered.receive({ transactionId: "a3", status: "SUCCEEDED", result: { phoneNumber: "0612345678" } });
    answered.answer("+33611223344");
    const values = ["06******78", "+33 6 12 34 56 78", "0612345678; rm", "\u0660\u0666\u0661\u0662\u0663\u0664", "", 612345678, null, "0".repeat(4097)];
    const verdicts = [];
    for (const [flow, snap] of [["enrollment", sdk.snapshot()], ["modify-phone", answered.snapshot()]]) {
      for (const value of values) {
        const edited = { ...snap, values: { ...snap.values, phoneNumber: value } };
        const { accepted, problems } = await resumeBoth(documents, bridge, edited, 3);
        assert.deepEqual(problems, [], `${flow} ${JSON.stringify(value)}`);
        verdicts.push(accepted);
      }
    }
    // the SDK's own strings at step 5; at D only a valid phone number (none of these) was ever held
    assert.deepEqual(verdicts, [true, true, true, true, false, false, false, false, false, false, false, false, false, false, false, false]);
  });
});
