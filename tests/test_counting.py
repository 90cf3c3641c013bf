"""What counts, what resets, and where each bound ends a flow: PROTOCOL.md's rules written out, run through
the engine one message and one answer at a time.

- "An invalid answer is asked again, at most ``max_code_attempts`` times, then cancelled": the invalid answers
  are counted *in a row* at one question; a valid answer ends the row.
- Transient failures "repeat the same call up to ``max_transient_retries`` times": counted per call.
- "A PIN refused by the SDK never resets the PIN count: not after a new SMS code, not after A" (flow notes),
  at most ``max_pin_attempts`` submissions in all.
- "An expired SMS code (2306 at step 6) counts as a refused code" (resolved ambiguity 9): 2305 and 2306 share
  ``max_code_attempts``; a new PIN refused as equal to the old one (2315) is asked again at most
  ``max_code_attempts`` times.
"""

from __future__ import annotations

import fsm
from tests.helpers import at, failed, ok

E = "enrollment"
BAD = "12a4"  # not 4 to 8 ASCII digits: invalid for every PIN and SMS code question


def ended(f: fsm.Flow) -> tuple[str, str | None, int | None]:
    out = f.outcome
    assert out is not None, f"still at {f.state}"
    return out.state, out.cause, out.error_code


def test_invalid_answers_are_counted_in_a_row_at_one_question() -> None:
    """Three invalid PINs are asked again; a valid PIN ends the row; after the SDK refuses it the question has
    three re-asks again, and the fourth invalid answer in a row cancels."""
    f = at(E, "8:pinCode", max_code_attempts=3)
    for _ in range(3):
        f.answer(BAD)
        assert f.state == "8:pinCode"
    f.answer("402718")
    f.receive(failed(2308))  # the PIN is wrong: asked again (one submission of three used)
    assert f.state == "8:pinCode"
    for _ in range(3):
        f.answer(BAD)
        assert f.state == "8:pinCode"
    f.answer(BAD)
    assert ended(f) == ("cancelled", "invalid_answers_exhausted", None)


def test_a_valid_answer_at_one_question_gives_the_next_question_its_own_row() -> None:
    """4.2: three invalid phone numbers, a valid one, the SMS is sent; the code question takes three invalid
    answers again before the fourth cancels."""
    f = at(E, "4.2:phoneNumber", method="full", max_code_attempts=3)
    for _ in range(3):
        f.answer("12")
    f.answer("0612345678")
    assert f.state == "4.2:request"
    f.receive(ok())
    for _ in range(3):
        f.answer(BAD)
        assert f.state == "4.2:smsCode"
    f.answer(BAD)
    assert ended(f) == ("cancelled", "invalid_answers_exhausted", None)


def test_max_code_attempts_bounds_the_invalid_answers() -> None:
    """With max_code_attempts=1: one re-ask, the second invalid answer in a row cancels."""
    f = at(E, "6:smsCode", max_code_attempts=1)
    f.answer(BAD)
    assert f.state == "6:smsCode"
    f.answer(BAD)
    assert ended(f) == ("cancelled", "invalid_answers_exhausted", None)


def test_an_invalid_answer_counts_no_refused_code() -> None:
    """Invalid answers are refused before any call: they never use up the SDK's refusals (code_attempts)."""
    f = at(E, "6", max_code_attempts=1)
    f.receive(failed(2305))  # one refusal of the SMS code: the one allowed
    f.answer(BAD)
    f.answer("246810")
    assert f.state == "6"
    f.receive(failed(2305))
    assert ended(f) == ("failed", "code_attempts_exhausted", 2305)


def test_transient_retries_are_counted_per_call() -> None:
    """Two retries at step 1, then it answers; step 2 has its own two retries; its third transient fails."""
    f = at(E, "1", max_transient_retries=2)
    f.receive(failed(2201))
    f.receive_exception(TimeoutError())
    assert f.state == "1"
    f.receive(ok(isDeviceActivated=False))
    f.receive(failed(2202))
    f.receive_exception(ConnectionError("down"))
    assert f.state == "2"
    f.receive(failed(2204))
    assert ended(f) == ("failed", "transient_retries_exhausted", 2204)


def test_pin_submissions_are_never_given_back_not_by_a_new_code_nor_by_a() -> None:
    """max_pin_attempts=3: a wrong PIN, a wrong PIN answered by 2317 (A, then a new SMS code), and the third
    submission is the last; its refusal ends the flow."""
    f = at(E, "8:pinCode", max_pin_attempts=3)
    f.answer("402718")
    f.receive(failed(2308))
    f.answer("402719")
    f.receive(failed(2317))
    assert f.state == "A"
    for message, then in [(ok(), "3"), (ok(phoneNumber="0612345678"), "5"), (ok(), "6:smsCode")]:
        f.receive(message)
        assert f.state == then
    f.answer("246810")
    f.receive(ok(status="AlreadyEnrolled"))
    assert f.state == "8:pinCode"
    f.answer("402720")
    f.receive(failed(2308))
    assert ended(f) == ("failed", "pin_attempts_exhausted", 2308)


def test_an_expired_code_counts_as_a_refused_code() -> None:
    """Step 6, max_code_attempts=2: 2305 (asked again), 2306 (a new code from 5), then 2305 ends the flow."""
    f = at(E, "6", max_code_attempts=2)
    f.receive(failed(2305))
    f.answer("246810")
    f.receive(failed(2306))
    assert f.state == "5"
    f.receive(ok())
    f.answer("246811")
    f.receive(failed(2305))
    assert ended(f) == ("failed", "code_attempts_exhausted", 2305)


def test_a_new_pin_equal_to_the_old_one_is_asked_again_at_most_max_code_attempts_times() -> None:
    """B: 2315 asks the new PIN again; with max_code_attempts=2 the third 2315 ends the flow."""
    f = at(E, "B", max_code_attempts=2)
    for pin in ("402718", "402719"):
        f.receive(failed(2315))
        assert f.state == "B:pinCode"
        f.answer(pin)
    f.receive(failed(2315))
    assert ended(f) == ("failed", "same_pin_exhausted", 2315)
