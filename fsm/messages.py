"""The values that cross the flow's boundary, and strict parsing of SDK messages.

A :class:`Call` is what the flow asks the port to do, a :class:`Question` what
it asks the person, a :class:`Message` what the SDK answered. Parsing is
strict on purpose (see RELIABILITY.md): ``True`` is not a code, ``2317.0`` is
not 2317, ``"false"`` is not ``False``, and an unknown ``status`` is an error.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Literal

import attrs

from fsm.errors import MalformedMessage
from fsm.records import methods
from fsm.secret import MASK, SECRET_NAMES, Secret

Op = Literal["get", "set"]
SUCCEEDED: Literal["SUCCEEDED"] = "SUCCEEDED"
FAILED: Literal["FAILED"] = "FAILED"

#: Longest ``transactionId`` we accept; the SDK's sample is 13 characters.
MAX_TRANSACTION_ID = 128
#: Longest string kept from a result field; longer ones are malformed.
MAX_FIELD = 4096
#: Most fields a result may have; more is malformed.
MAX_RESULT_FIELDS = 64
#: Most digits of an ``error.code`` given as a string.
MAX_CODE_DIGITS = 9


class Reply(enum.Enum):
    """The answers a person can give that are not a value."""

    FORGOT_PIN = "forgot PIN"
    CANCEL = "cancel"

    def __repr__(self) -> str:
        return f"fsm.{self.name}"


FORGOT_PIN = Reply.FORGOT_PIN
CANCEL = Reply.CANCEL

Answer = str | Reply


def _mask_params(params: tuple[tuple[str, str | Secret], ...]) -> dict[str, str]:
    return {k: MASK if isinstance(v, Secret) else v for k, v in params}


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Call:
    """One SDK request: ``pims.get(api, parameters)`` or ``pims.set(...)``.

    ``parameters`` gives the real values, for the port; ``repr``, ``masked()``
    and ``attrs.asdict`` show secrets as ``***``.
    """

    op: Op
    api: str
    params: tuple[tuple[str, str | Secret], ...] = attrs.field(repr=False)
    step: str
    state: str
    #: The catalog entry this call comes from (e.g. ``enroll``).
    name: str

    @property
    def parameters(self) -> dict[str, str]:
        """The parameters exactly as the SDK wants them (secrets revealed)."""
        return {k: v.reveal() if isinstance(v, Secret) else v for k, v in self.params}

    def masked(self) -> dict[str, str]:
        """The parameters with every secret replaced by ``***``."""
        return _mask_params(self.params)

    def __repr__(self) -> str:
        return f"Call(op={self.op!r}, api={self.api!r}, parameters={self.masked()!r}, step={self.step!r})"


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Question:
    """A value only the person can give.

    ``name`` is the SDK parameter it feeds (``pinCode``, ``smsCode``,
    ``phoneNumber``, ``oldPIN``, ``newPIN``, ``vin``); ``why`` says why it is
    asked again (``None`` the first time). A host building one for its own
    tests gives name, step, state and prompt: the rest default to a plain
    question asked the first time.
    """

    name: str
    step: str
    state: str
    prompt: str
    #: 1 the first time; one more for each time it was asked again (invalid or refused answers).
    attempt: int = 1
    why: str | None = None
    secret: bool = False
    #: True where answering ``fsm.FORGOT_PIN`` leads somewhere (step 8, C).
    can_forget_pin: bool = False
    #: True where the person chooses a new PIN (obvious ones are refused).
    new_pin: bool = False


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Message:
    """A parsed SDK message. ``result`` holds only flat values; secrets masked in repr."""

    transaction_id: str
    status: Literal["SUCCEEDED", "FAILED"]
    result: Mapping[str, object] | None = attrs.field(repr=False)
    error_code: int | None

    def __repr__(self) -> str:
        # Only the result's field names: a value may be a secret under a name no rule knows (B14).
        shown = None if self.result is None else f"<fields: {', '.join(sorted(self.result))}>"
        return (
            f"Message(transaction_id={self.transaction_id!r}, status={self.status!r}, "
            f"result={shown}, error_code={self.error_code!r})"
        )


class UnknownStatus(MalformedMessage):
    """``status`` is a string but neither ``SUCCEEDED`` nor ``FAILED`` (exact match)."""


_Scalar = str | bool | int | float | None


class _Nested:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<nested>"


_NESTED = _Nested()


def parse_code(code: object) -> int:
    """An ``error.code``: an int (not a bool), or a string of ASCII digits."""
    if type(code) is int and code >= 0:
        return code
    # [0-9]{1,9}: the empty string is no digit.
    if type(code) is str and len(code) <= MAX_CODE_DIGITS and code.isascii() and code.isdigit():
        return int(code)
    raise MalformedMessage("error.code", "not an integer or a string of digits")


def parse_message(raw: object) -> Message:
    """Parse one SDK message strictly, or raise :class:`MalformedMessage`."""
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise MalformedMessage("message", f"not an object (got {type(raw).__name__})")
    tid = raw.get("transactionId")
    if type(tid) is not str or not tid or len(tid) > MAX_TRANSACTION_ID:
        raise MalformedMessage(
            "transactionId", "missing" if tid is None else "not a non-empty string of bounded length"
        )
    if "status" not in raw:
        raise MalformedMessage("status", "missing")
    status = raw["status"]
    if type(status) is not str:
        raise MalformedMessage("status", "not a string")
    flat: dict[str, object] | None = None
    code: int | None = None
    if status == SUCCEEDED:
        if raw.get("error") is not None:
            raise MalformedMessage("error", "present on a SUCCEEDED message")
        result = raw.get("result")
        if result is not None:
            if type(result) is not dict and not isinstance(result, Mapping):
                raise MalformedMessage("result", f"not an object (got {type(result).__name__})")
            if len(result) > MAX_RESULT_FIELDS:
                raise MalformedMessage("result", "too many fields")
            flat = {}
            for k, v in result.items():
                if type(k) is not str:
                    continue
                t = type(v)
                if t is str:
                    if len(v) > MAX_FIELD:
                        raise MalformedMessage(f"result.{k}", "string too long")
                    flat[k] = Secret(v) if k in SECRET_NAMES else v
                elif v is None or t is bool or t is int or t is float:
                    flat[k] = v
                else:  # nested objects are never needed by the flows; keep a marker, do not walk them
                    flat[k] = _NESTED
    elif status == FAILED:
        error = raw.get("error")
        if error is None:
            raise MalformedMessage("error", "missing on a FAILED message")
        if not isinstance(error, Mapping):
            raise MalformedMessage("error", "not an object")
        if "code" not in error:
            raise MalformedMessage("error.code", "missing")
        code = parse_code(error["code"])
    else:
        raise UnknownStatus("status", "unknown value (only SUCCEEDED and FAILED are accepted)")
    # Message(...) made quicker (see below): this runs on every step.
    msg: Message = _new(Message)
    _m_tid(msg, tid)
    _m_status(msg, status)
    _m_result(msg, flat)
    _m_code(msg, code)
    return msg


# Quick constructors for the engine's hot path. They make the same objects attrs' ``__init__`` makes
# (these classes have no validators, converters or ``__attrs_post_init__``), setting each slot through
# its descriptor instead of attrs' per-field ``object.__setattr__`` call, which dominates a step.
_new = object.__new__
_call_op, _call_api, _call_params, _call_step, _call_state, _call_name = (
    Call.__dict__[n].__set__ for n in ("op", "api", "params", "step", "state", "name"))
_q_name, _q_step, _q_state, _q_prompt, _q_attempt, _q_why, _q_secret, _q_forget, _q_new_pin = (
    Question.__dict__[n].__set__
    for n in ("name", "step", "state", "prompt", "attempt", "why", "secret", "can_forget_pin", "new_pin"))
_m_tid, _m_status, _m_result, _m_code = (
    Message.__dict__[n].__set__ for n in ("transaction_id", "status", "result", "error_code"))


def new_call(  # noqa: PLR0917 - positional: called on every step, keywords cost more
    op: Op, api: str, params: tuple[tuple[str, str | Secret], ...], step: str, state: str,
    name: str,
) -> Call:
    """``Call(op=op, api=api, ...)``, quicker (the engine makes one per step)."""
    obj: Call = _new(Call)
    _call_op(obj, op)
    _call_api(obj, api)
    _call_params(obj, params)
    _call_step(obj, step)
    _call_state(obj, state)
    _call_name(obj, name)
    return obj


def new_question(  # noqa: PLR0917 - positional: called on every question, keywords cost more
    name: str, step: str, state: str, prompt: str, attempt: int, why: str | None, secret: bool,
    can_forget_pin: bool, new_pin: bool,
) -> Question:
    """``Question(name=name, ...)``, quicker."""
    obj: Question = _new(Question)
    _q_name(obj, name)
    _q_step(obj, step)
    _q_state(obj, state)
    _q_prompt(obj, prompt)
    _q_attempt(obj, attempt)
    _q_why(obj, why)
    _q_secret(obj, secret)
    _q_forget(obj, can_forget_pin)
    _q_new_pin(obj, new_pin)
    return obj
