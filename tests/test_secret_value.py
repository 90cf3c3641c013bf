"""``fsm.Secret``, the value a PIN, an SMS code or an OTP is kept in (PROTOCOL.md: secrets never appear in a log
line, an exception text, a snapshot, a trace or generated docs; RELIABILITY.md F2, G2).

What a host can do with one, and what it cannot: shown, it is ``***``; compared, it is equal only to a Secret of
the same value; it cannot be changed, pickled or serialised through its state; a copy is the same object (no
second copy of the value in memory).
"""

from __future__ import annotations

import copy
import pickle

import pytest

import fsm
from fsm.secret import Secret, hide

CANARY = "902718"


def test_a_secret_is_shown_as_three_stars_only() -> None:
    s = Secret(CANARY)
    assert (repr(s), str(s), f"{s}", f"{s:>10}", format(s, "")) == ("Secret(***)", "***", "***", "***", "***")
    assert s.reveal() == CANARY


def test_a_secret_cannot_be_changed() -> None:
    s = Secret(CANARY)
    with pytest.raises(AttributeError, match=r"^Secret is immutable$"):
        s._value = "000000"
    with pytest.raises(AttributeError, match=r"^Secret is immutable$"):
        s.other = 1
    assert s.reveal() == CANARY


def test_a_secret_equals_only_a_secret_of_the_same_value() -> None:
    assert Secret(CANARY) == Secret(CANARY)
    assert Secret(CANARY) != Secret("902719")
    assert (Secret(CANARY) == CANARY) is False  # never equal to the plain string, not even "maybe"
    assert (Secret(CANARY) == CANARY) is False  # (the reflected comparison, str == Secret, says the same)
    assert CANARY.__eq__(Secret(CANARY)) is NotImplemented
    assert (Secret(CANARY) != CANARY) is True
    assert len({Secret(CANARY), Secret(CANARY), Secret("902719")}) == 2


def test_a_secrets_length_is_its_values() -> None:
    """A host may show one dot per digit without revealing the value."""
    assert (len(Secret(CANARY)), len(Secret("1234"))) == (6, 4)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_secret_cannot_be_pickled(protocol: int) -> None:
    with pytest.raises(TypeError, match=r"^a Secret cannot be pickled$"):
        pickle.dumps({"pin": Secret(CANARY)}, protocol=protocol)


def test_a_serialiser_that_asks_for_the_state_is_refused() -> None:
    """Encoders that read ``__getstate__`` directly (copyreg-style reducers, some msgpack/JSON encoders)."""
    with pytest.raises(TypeError, match=r"^a Secret cannot be serialised$"):
        Secret(CANARY).__getstate__()


def test_a_copy_of_a_secret_is_the_same_object() -> None:
    s = Secret(CANARY)
    assert copy.copy(s) is s
    assert copy.deepcopy(s) is s
    held = {"values": [s]}
    assert copy.deepcopy(held)["values"][0] is s


def test_hide_makes_a_string_a_secret_and_leaves_anything_else() -> None:
    hidden = hide(CANARY)
    assert isinstance(hidden, Secret) and hidden.reveal() == CANARY
    for other in (fsm.FORGOT_PIN, fsm.CANCEL, None, 1234, b"1234"):
        assert hide(other) is other
