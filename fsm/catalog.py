"""Every SDK call the flows make, as data: api, op, parameters, outputs, errors.

A call is built from its entry here, never retyped per step. ``errors`` is the
list the official reference gives for the call (a test compares it with
``tests/reference/mobile-sdk-v2-*.yml``); the dialect differences
are the ``dialects`` filters on parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from fsm.errors import MalformedMessage
from fsm.messages import Op
from fsm.records import methods
from fsm.secret import Secret

TUTORIAL = "tutorial"
REFERENCE = "reference"
DIALECTS = (TUTORIAL, REFERENCE)
ANDROID = "android"
IOS = "ios"
PLATFORMS = (ANDROID, IOS)

# Error codes with a meaning shared by every call.
TRANSIENT_CODES = frozenset({2201, 2202, 2204})
INPUT_CODES = frozenset({2010, 2101, 2102})
FORBIDDEN = 2317
SMS_INVALID = 2305
SMS_EXPIRED = 2306
NO_PHONE = 2307
SAME_PIN = 2315
NEEDS_STRONG_AUTH = 2302
PHONE_TAKEN = 2390

#: Labels of the codes fsm names in reasons (from the reference's error table).
LABELS: Mapping[int, str] = {
    2000: "Unknown error",
    2001: "Facade not initialized",
    2006: "Core not well configured",
    2010: "[PARAMETER] not set",
    2101: "Missing [PARAMETER] parameter",
    2102: "Invalid [PARAMETER] parameter",
    2201: "Timeout",
    2202: "Network problem : No internet",
    2203: "Invalid return [Parsing error] ou [No data] ou [invalid Data]",
    2204: "Server Error",
    2302: "Need Strong Authentication",
    2305: "The sms code is invalid",
    2306: "The sms code is expired",
    2307: "User dont have a phone number",
    2308: "inwebo: access refused",
    2309: "inwebo: version error",
    2310: "inwebo: account is blocked",
    2311: "inwebo: internal state not correct",
    2312: "inwebo: device is disabled or unknown",
    2313: "inwebo: User must activate inWebo helium or inWebo Desktop Token before achieving this operation",
    2314: "inwebo: No service is available",
    2315: "inwebo: the new password equals the previous one",
    2316: "inwebo: the operation succeeded but it required a post-synchronization which failed",
    2317: "inwebo: forbidden operation (due to activated state/blocked state/upgradable state)",
    2344: "[Component] not configured",
    2390: "Phone number allready registered",
}


def label(code: int) -> str:
    """The reference's label for ``code``, or a neutral phrase for an unknown one."""
    return LABELS.get(code, "code not in the reference")


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Param:
    """One parameter: a fixed ``value`` or the flow's input ``slot``, maybe only for some dialects/platforms."""

    name: str
    value: str | None = None
    slot: str | None = None
    dialects: frozenset[str] = frozenset(DIALECTS)
    platforms: frozenset[str] = frozenset(PLATFORMS)

    def applies(self, dialect: str, platform: str) -> bool:
        return dialect in self.dialects and platform in self.platforms


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Output:
    """How a SUCCEEDED result is read into a named outcome.

    ``field`` is the result field read; ``values`` maps each accepted value to
    its outcome (a value not listed is malformed); ``absent`` is the outcome
    when the field is missing, null or empty (``None``: that is malformed);
    ``any_string`` accepts any non-empty string as the outcome given.
    ``examples`` are results the reference documents, one per outcome.
    """

    field: str | None = None
    aliases: tuple[str, ...] = ()
    values: Mapping[object, str] = attrs.field(factory=dict)
    absent: str | None = None
    any_string: str | None = None
    #: Outcome of a SUCCEEDED when ``field`` is None (an API without output).
    done: str = "succeeded"

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Every outcome a SUCCEEDED message of this call can be read as."""
        if self.field is None:
            return (self.done,)
        names = list(dict.fromkeys(self.values.values()))
        for extra in (self.any_string, self.absent):
            if extra is not None and extra not in names:
                names.append(extra)
        return tuple(names)

    def classify(self, result: Mapping[str, object] | None) -> str:
        """The outcome of a SUCCEEDED ``result``, or :class:`MalformedMessage`."""
        if self.field is None:
            return self.done
        if result is None:
            raise MalformedMessage("result", "missing")
        value = self.read(result)
        if value is None or value == "":
            if self.absent is not None:
                return self.absent
            raise MalformedMessage(f"result.{self.field}", "missing")
        for accepted, outcome in self.values.items():
            # type() check first: True == 1 and "false" is truthy.
            if type(value) is type(accepted) and value == accepted:
                return outcome
        if self.any_string is not None and type(value) is str:
            return self.any_string
        if self.any_string is not None and isinstance(value, Secret):
            return self.any_string
        raise MalformedMessage(f"result.{self.field}", f"unexpected value of type {type(value).__name__}")

    def read(self, result: Mapping[str, object]) -> object:
        """The value a result is read by: the first of ``field`` and its aliases present (even when it holds
        null), or None. The engine's hot path."""
        field = self.field
        if field is None:
            return None
        if field in result:
            return result[field]
        return next((result[n] for n in self.aliases if n in result), None)

    def example(self, outcome: str) -> dict[str, object] | None:
        """A documented result that reads as ``outcome`` (for simulators and checkers)."""
        if self.field is None:
            return {}
        for accepted, name in self.values.items():
            if name == outcome:
                return {self.field: accepted}
        if outcome == self.any_string:
            return {self.field: "0612345678" if self.field == "phoneNumber" else "example"}
        if outcome == self.absent:
            return {self.field: None}
        raise KeyError(outcome)


NO_OUTPUT = Output()


@methods
@attrs.frozen(kw_only=True, eq=False, repr=False)
class Entry:
    """One SDK call as the reference defines it."""

    key: str
    op: Op
    api: str
    #: The reference's ``subname`` (its discriminating value), None for a plain API.
    subname: str | None
    title: str
    params: tuple[Param, ...]
    output: Output = NO_OUTPUT
    errors: frozenset[int]
    since: tuple[int, int] = (2, 0)

    def parameters(self, dialect: str, platform: str) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.applies(dialect, platform))

    def slots(self, dialect: str, platform: str) -> tuple[str, ...]:
        """The flow inputs this call reads, in this dialect and platform."""
        return tuple(p.slot for p in self.parameters(dialect, platform) if p.slot is not None)


_INWEBO = frozenset({2308, 2309, 2310, 2311, 2312, 2313, 2314, 2316, 2317})
_SMS_GET = frozenset({2001, 2006, 2101, 2102, 2201, 2202, 2204})


def _entries() -> dict[str, Entry]:
    tut = frozenset({TUTORIAL})
    ref = frozenset({REFERENCE})
    ios = frozenset({IOS})
    entries = [
        Entry(
            key="is_device_activated", op="get", api="pims.authentication.account",
            subname="isDeviceActivated", title="is the device activated",
            params=(Param(name="actionType", value="strong"), Param(name="type", value="isDeviceActivated")),
            output=Output(field="isDeviceActivated", values={True: "activated", False: "not_activated"}),
            errors=frozenset({2001, 2101, 2102, 2344}),
        ),
        Entry(
            key="is_account_blocked", op="get", api="pims.authentication.account",
            subname="isAccountBlocked", title="is the account blocked",
            params=(Param(name="actionType", value="strong"), Param(name="type", value="isAccountBlocked")),
            output=Output(
                field="isAccountBlocked",
                values={
                    "NotBlocked": "not_blocked", False: "not_blocked",
                    "PinBlocked": "blocked", "PINBlocked": "blocked", "AccountBlocked": "blocked", True: "blocked",
                    "Unknown": "blocked_unknown",
                },
            ),
            errors=frozenset({2001, 2101, 2102, 2344}),
        ),
        Entry(
            key="trusted_phone_number", op="get", api="pims.authentication.trustedphonenumber",
            subname=None, title="the trusted phone number", params=(),
            output=Output(
                field="phoneNumber", aliases=("trustedphoneNumber", "trustedPhoneNumber"),
                any_string="phone_present", absent="no_phone",
            ),
            errors=frozenset({2001, 2006, 2201, 2202, 2204, 2307}),
        ),
        Entry(
            key="sms_phone_certification", op="get", api="pims.authentication.smscode",
            subname="phoneNumberCertification", title="send an SMS code to certify a phone number",
            params=(
                Param(name="type", value="phoneNumberCertification"),
                Param(name="phoneNumber", slot="phoneNumber"),
            ),
            errors=_SMS_GET,
        ),
        Entry(
            key="sms_enrollment", op="get", api="pims.authentication.smscode",
            subname="enrollment", title="send the enrollment SMS code",
            params=(
                Param(name="type", value="enrollment"),
                Param(name="phoneNumber", slot="phoneNumber", dialects=tut),
            ),
            errors=_SMS_GET,
        ),
        Entry(
            key="sms_reset_pin", op="get", api="pims.authentication.smscode",
            subname="resetPIN", title="send an SMS code to reset the PIN",
            params=(Param(name="type", value="resetPIN"),),
            errors=_SMS_GET,
        ),
        Entry(
            key="add_phone_number", op="set", api="pims.authentication.smscode",
            subname="addPhoneNumber", title="register the trusted phone number",
            params=(
                Param(name="type", value="addPhoneNumber", dialects=tut),
                Param(name="action", value="addPhoneNumber", dialects=ref),
                Param(name="smsCode", slot="smsCode"), Param(name="phoneNumber", slot="phoneNumber"),
            ),
            errors=frozenset({2001, 2006, 2101, 2102, 2201, 2202, 2204, 2344}),
        ),
        Entry(
            key="check_enrollment_code", op="set", api="pims.authentication.smscode",
            subname="enrollment", title="check the enrollment SMS code (does the account have a PIN?)",
            params=(Param(name="action", value="enrollment"), Param(name="smsCode", slot="smsCode")),
            output=Output(
                field="status", values={"AlreadyEnrolled": "already_enrolled", "NotEnrolled": "not_enrolled"}
            ),
            errors=frozenset({2001, 2006, 2102, 2201, 2202, 2204, 2344}) | _INWEBO,
        ),
        Entry(
            key="modify_phone_number", op="set", api="pims.authentication.smscode",
            subname="modifyPhoneNumber", title="replace the trusted phone number",
            params=(
                Param(name="type", value="modifyPhoneNumber"),
                Param(name="smsCode", slot="smsCode"), Param(name="phoneNumber", slot="phoneNumber"),
            ),
            errors=frozenset({2001, 2006, 2101, 2102, 2201, 2202, 2204, 2344}) | _INWEBO,
        ),
        Entry(
            key="enroll", op="set", api="pims.authentication.enrollment",
            subname="enroll", title="enroll the device with the PIN",
            params=(
                Param(name="action", value="enroll"), Param(name="pinCode", slot="pinCode"),
                Param(name="smsCode", slot="smsCode", platforms=ios),
            ),
            errors=frozenset({2001, 2101, 2102, 2305, 2344}) | _INWEBO,
        ),
        Entry(
            key="enroll_with_phone_number", op="set", api="pims.authentication.enrollment",
            subname="enrollWithPhoneNumber", title="enroll the device and register the phone number",
            params=(
                Param(name="action", value="enrollWithPhoneNumber"), Param(name="pinCode", slot="pinCode"),
                Param(name="smsCode", slot="smsCode"), Param(name="phoneNumber", slot="phoneNumber"),
            ),
            errors=frozenset({2001, 2101, 2102, 2305, 2344, 2390}) | _INWEBO,
            since=(2, 1),
        ),
        Entry(
            key="remove_enrollments", op="set", api="pims.authentication.enrollment",
            subname="remove", title="remove all enrollments of the account",
            params=(Param(name="action", value="remove"),),
            errors=frozenset({2001, 2101, 2102, 2202, 2204, 2305, 2344}) | _INWEBO,
        ),
        Entry(
            key="reset_pin", op="set", api="pims.authentication.pincode",
            subname="reset", title="reset the PIN with an SMS code",
            params=(
                Param(name="action", value="reset"), Param(name="pinCode", slot="pinCode"),
                Param(name="smsCode", slot="resetSmsCode"),
            ),
            errors=frozenset({2001, 2101, 2102, 2305, 2315, 2344}) | _INWEBO,
        ),
        Entry(
            key="update_pin", op="set", api="pims.authentication.pincode",
            subname="update", title="change the PIN",
            params=(
                Param(name="action", value="update"), Param(name="oldPIN", slot="oldPIN"),
                Param(name="newPIN", slot="newPIN"),
            ),
            errors=frozenset({2001, 2101, 2102, 2305, 2315, 2344}) | _INWEBO,
        ),
        Entry(
            key="otp_with_pin", op="get", api="pims.authentication.otp",
            subname="withPIN", title="get a one-time password with the PIN",
            params=(Param(name="action", value="withPIN"), Param(name="pinCode", slot="pinCode")),
            output=Output(field="otp", any_string="succeeded"),
            errors=frozenset({2000, 2001, 2006, 2101, 2102, 2202}) | _INWEBO,
        ),
        Entry(
            key="remove_vehicle", op="set", api="pims.subscription.vehicle",
            subname="removeProperty", title="remove the vehicle from the account",
            params=(Param(name="action", value="removeProperty"), Param(name="vin", slot="vin")),
            errors=frozenset({2001, 2101, 2102, 2201, 2202, 2203, 2204, 2302}) | _INWEBO,
            since=(2, 1),
        ),
    ]
    return {e.key: e for e in entries}


CATALOG: Mapping[str, Entry] = _entries()
