"""An embedded, stateful PIMS backend: the default port for the demo and for hosts' tests.

It answers ``get``/``set`` like the SDK does, from an :class:`Account`: a
trusted phone number (or none), a PIN (or none), the enrolled devices, a
blocked state and vehicles. SMS codes it "sends" land in :attr:`Simulator.inbox`;
they expire after ``code_ttl`` seconds of the injected monotonic ``clock``.
Wrong PINs lead to 2317 after ``lockout_after`` of them, as a real inWebo
backend blocks. It checks parameters itself (missing → 2101, bad → 2102)
rather than trusting fsm's catalog, so tests against it are not circular.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

THIS_DEVICE = "this-device"
DEMO_PIN = "424242"
DEMO_PHONE = "0612345678"
DEMO_VIN = "VR1AB12C3D4567890"


@attrs.define(kw_only=True)
class Account:
    """What the backend knows of one account."""

    phone: str | None = None
    pin: str | None = attrs.field(default=None, repr=False)
    devices: set[str] = attrs.field(factory=set)
    blocked: str = "NotBlocked"
    wrong_pins: int = 0
    lockout_after: int = 3
    vehicles: set[str] = attrs.field(factory=set)
    #: The next N PIN submissions (enroll) answer FAILED 2317, as a backend in a bad state does.
    forbid_next: int = 0
    #: Whether removing a vehicle needs a fresh strong authentication (answers 2302 first).
    vehicle_needs_otp: bool = False


def _preset(name: str) -> Account:
    enrolled_elsewhere = {"other-phone"}
    presets: dict[str, Callable[[], Account]] = {
        "new": Account,
        "phone": lambda: Account(phone=DEMO_PHONE),
        "existing-pin": lambda: Account(phone=DEMO_PHONE, pin=DEMO_PIN, devices=set(enrolled_elsewhere)),
        "enrolled": lambda: Account(phone=DEMO_PHONE, pin=DEMO_PIN, devices={THIS_DEVICE}, vehicles={DEMO_VIN}),
        "enrolled-no-phone": lambda: Account(pin=DEMO_PIN, devices={THIS_DEVICE}),
        "pin-blocked": lambda: Account(phone=DEMO_PHONE, pin=DEMO_PIN, blocked="PinBlocked",
                                       devices=set(enrolled_elsewhere)),
        "forbidden-once": lambda: Account(phone=DEMO_PHONE, pin=DEMO_PIN, forbid_next=1),
        "vehicle-otp": lambda: Account(phone=DEMO_PHONE, pin=DEMO_PIN, devices={THIS_DEVICE},
                                       vehicles={DEMO_VIN}, vehicle_needs_otp=True),
    }
    try:
        return presets[name]()
    except KeyError:
        raise ValueError(f"unknown account preset {name!r}; known: {', '.join(PRESETS)}") from None


#: Account presets and what each one is.
PRESETS: Mapping[str, str] = {
    "new": "a new account: no phone number, no PIN",
    "phone": "a trusted phone number, no PIN yet",
    "existing-pin": "phone and PIN set, another device enrolled",
    "enrolled": "this device is already enrolled (and a vehicle is associated)",
    "enrolled-no-phone": "this device is enrolled but the account has no phone number",
    "pin-blocked": "the account is PIN-blocked (isAccountBlocked: PinBlocked)",
    "forbidden-once": "phone and PIN set; the first PIN check answers 2317",
    "vehicle-otp": "enrolled with a vehicle whose removal needs strong authentication (2302)",
}


@attrs.frozen
class Sms:
    """An SMS the simulator sent."""

    to: str
    purpose: str
    code: str = attrs.field(repr=False)
    sent_at: float


class Simulator:
    """A PIMS backend in memory, with the SDK's ``get``/``set`` shape."""

    def __init__(
        self,
        account: Account | str = "new",
        *,
        device: str = THIS_DEVICE,
        clock: Callable[[], float] = time.monotonic,
        code_ttl: float = 600.0,
        rng: random.Random | None = None,
    ) -> None:
        self.account = _preset(account) if isinstance(account, str) else account
        self.device = device
        self.clock = clock
        self.code_ttl = code_ttl
        self.rng = rng or random.Random()
        self.inbox: list[Sms] = []
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self._pending: dict[str, Sms] = {}
        self._code_checked = False
        self._otp_at: float | None = None

    # -- the SDK's shape -------------------------------------------------------

    def get(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._answer("get", api, dict(parameters or {}))

    def set(self, api: str, parameters: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._answer("set", api, dict(parameters or {}))

    # -- helpers ---------------------------------------------------------------

    def latest_code(self, purpose: str | None = None) -> str | None:
        """The last SMS code sent (for ``purpose``), as a person would read it."""
        for sms in reversed(self.inbox):
            if purpose is None or sms.purpose == purpose:
                return sms.code
        return None

    def _tid(self) -> str:
        return f"{self.rng.getrandbits(32):08x}-{self.rng.getrandbits(16):04x}"

    def _ok(self, result: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"transactionId": self._tid(), "status": "SUCCEEDED", "result": result or {}}

    def _fail(self, code: int, label: str) -> dict[str, Any]:
        return {"transactionId": self._tid(), "status": "FAILED", "error": {"code": code, "label": label}}

    def _send(self, purpose: str, to: str) -> dict[str, Any]:
        code = f"{self.rng.randrange(10**6):06d}"
        sms = Sms(to=to, purpose=purpose, code=code, sent_at=self.clock())
        self.inbox.append(sms)
        self._pending[purpose] = sms
        return self._ok()

    def _check_code(self, purpose: str, code: str | None, phone: str | None = None) -> dict[str, Any] | None:
        """None when ``code`` is the pending one for ``purpose``; else the FAILED message."""
        sms = self._pending.get(purpose)
        if sms is None or code != sms.code or (phone is not None and phone != sms.to):
            return self._fail(2305, "The sms code is invalid")
        if self.clock() - sms.sent_at > self.code_ttl:
            return self._fail(2306, "The sms code is expired")
        del self._pending[purpose]
        return None

    @staticmethod
    def _missing(params: Mapping[str, str], *names: str) -> str | None:
        for n in names:
            if n not in params:
                return n
            if type(params[n]) is not str:
                return n
        return None

    def _answer(self, op: str, api: str, p: dict[str, str]) -> dict[str, Any]:
        self.calls.append((op, api, {k: v for k, v in p.items() if k not in {"pinCode", "smsCode", "oldPIN",
                                                                               "newPIN"}}))
        handler = getattr(self, f"_{op}_{api.replace('.', '_')}", None)
        if handler is None:
            return self._fail(2002, "API not supported")
        result: dict[str, Any] = handler(p)
        return result

    # -- pims.authentication.account --------------------------------------------

    def _get_pims_authentication_account(self, p: dict[str, str]) -> dict[str, Any]:
        missing = self._missing(p, "actionType", "type")
        if missing:
            return self._fail(2101, f"Missing {missing} parameter")
        if p["actionType"] != "strong":
            return self._fail(2102, "Invalid actionType parameter")
        if p["type"] == "isDeviceActivated":
            return self._ok({"isDeviceActivated": self.device in self.account.devices})
        if p["type"] == "isAccountBlocked":
            return self._ok({"isAccountBlocked": self.account.blocked})
        return self._fail(2102, "Invalid type parameter")

    def _get_pims_authentication_trustedphonenumber(self, _: dict[str, str]) -> dict[str, Any]:
        if self.account.phone is None:
            return self._fail(2307, "User dont have a phone number")
        return self._ok({"phoneNumber": self.account.phone})

    # -- pims.authentication.smscode ---------------------------------------------

    def _get_pims_authentication_smscode(self, p: dict[str, str]) -> dict[str, Any]:
        kind = p.get("type")
        if kind == "phoneNumberCertification":
            if self._missing(p, "phoneNumber"):
                return self._fail(2101, "Missing phoneNumber parameter")
            return self._send("phoneNumberCertification", p["phoneNumber"])
        if kind in ("enrollment", "resetPIN"):
            if self.account.phone is None:
                return self._fail(2307, "User dont have a phone number")
            return self._send(kind, self.account.phone)
        return self._fail(2101 if kind is None else 2102, "Invalid type parameter")

    def _set_pims_authentication_smscode(self, p: dict[str, str]) -> dict[str, Any]:
        kind = p.get("action", p.get("type"))
        if kind == "enrollment":
            if self._missing(p, "smsCode"):
                return self._fail(2101, "Missing smsCode parameter")
            refused = self._check_code("enrollment", p["smsCode"])
            if refused:
                return refused
            self._code_checked = True
            return self._ok({"status": "AlreadyEnrolled" if self.account.pin else "NotEnrolled"})
        if kind in ("addPhoneNumber", "modifyPhoneNumber"):
            missing = self._missing(p, "smsCode", "phoneNumber")
            if missing:
                return self._fail(2101, f"Missing {missing} parameter")
            if kind == "modifyPhoneNumber" and self.device not in self.account.devices:
                return self._fail(2302, "Need Strong Authentication")
            refused = self._check_code("phoneNumberCertification", p["smsCode"], p["phoneNumber"])
            if refused:
                return refused
            self.account.phone = p["phoneNumber"]
            return self._ok()
        return self._fail(2101 if kind is None else 2102, "Invalid action parameter")

    # -- pims.authentication.enrollment --------------------------------------------

    def _wrong_pin(self) -> dict[str, Any]:
        self.account.wrong_pins += 1
        if self.account.wrong_pins >= self.account.lockout_after:
            self.account.blocked = "PinBlocked"
            return self._fail(2317, "inwebo: forbidden operation")
        return self._fail(2308, "inwebo: access refused")

    def _set_pims_authentication_enrollment(self, p: dict[str, str]) -> dict[str, Any]:
        action = p.get("action")
        acc = self.account
        if action == "remove":
            acc.devices.clear()
            acc.blocked = "NotBlocked"
            acc.wrong_pins = 0
            self._code_checked = False
            return self._ok()
        if action == "enroll":
            if self._missing(p, "pinCode"):
                return self._fail(2101, "Missing pinCode parameter")
            if acc.blocked != "NotBlocked":
                return self._fail(2317, "inwebo: forbidden operation")
            if acc.forbid_next:
                acc.forbid_next -= 1
                return self._fail(2317, "inwebo: forbidden operation")
            if not self._code_checked:
                return self._fail(2312, "inwebo: device is disabled or unknown")
            if acc.pin is None:  # step 7: the new PIN is registered
                acc.pin = p["pinCode"]
                return self._ok()
            if p["pinCode"] != acc.pin:
                return self._wrong_pin()
            acc.devices.add(self.device)
            acc.wrong_pins = 0
            return self._ok()
        if action == "enrollWithPhoneNumber":
            missing = self._missing(p, "pinCode", "smsCode", "phoneNumber")
            if missing:
                return self._fail(2101, f"Missing {missing} parameter")
            if acc.phone is not None:
                return self._fail(2390, "Phone number allready registered")
            refused = self._check_code("phoneNumberCertification", p["smsCode"], p["phoneNumber"])
            if refused:
                return refused
            acc.phone, acc.pin = p["phoneNumber"], p["pinCode"]
            acc.devices.add(self.device)
            return self._ok()
        return self._fail(2101 if action is None else 2102, "Invalid action parameter")

    # -- pims.authentication.pincode -------------------------------------------------

    def _set_pims_authentication_pincode(self, p: dict[str, str]) -> dict[str, Any]:
        action = p.get("action")
        acc = self.account
        if action == "reset":
            missing = self._missing(p, "pinCode", "smsCode")
            if missing:
                return self._fail(2101, f"Missing {missing} parameter")
            refused = self._check_code("resetPIN", p["smsCode"])
            if refused:
                return refused
            if p["pinCode"] == acc.pin:
                return self._fail(2315, "inwebo: the new password equals the previous one")
            acc.pin, acc.wrong_pins, acc.blocked = p["pinCode"], 0, "NotBlocked"
            return self._ok()
        if action == "update":
            missing = self._missing(p, "oldPIN", "newPIN")
            if missing:
                return self._fail(2101, f"Missing {missing} parameter")
            if p["oldPIN"] != acc.pin:
                return self._wrong_pin()
            if p["newPIN"] == acc.pin:
                return self._fail(2315, "inwebo: the new password equals the previous one")
            acc.pin = p["newPIN"]
            return self._ok()
        return self._fail(2101 if action is None else 2102, "Invalid action parameter")

    # -- pims.authentication.otp ----------------------------------------------------

    def _get_pims_authentication_otp(self, p: dict[str, str]) -> dict[str, Any]:
        if p.get("action") != "withPIN":
            return self._fail(2102, "Invalid action parameter")
        if self._missing(p, "pinCode"):
            return self._fail(2101, "Missing pinCode parameter")
        if p["pinCode"] != self.account.pin:
            return self._wrong_pin()
        self._otp_at = self.clock()
        return self._ok({"otp": f"{self.rng.randrange(10**8):08d}"})

    # -- pims.subscription.vehicle ----------------------------------------------------

    def _set_pims_subscription_vehicle(self, p: dict[str, str]) -> dict[str, Any]:
        if p.get("action") != "removeProperty":
            return self._fail(2101 if "action" not in p else 2102, "Invalid action parameter")
        if self._missing(p, "vin"):
            return self._fail(2101, "Missing vin parameter")
        if self.account.vehicle_needs_otp and self._otp_at is None:
            return self._fail(2302, "Need Strong Authentication")
        if p["vin"] not in self.account.vehicles:
            return self._fail(2102, "Invalid vin parameter")
        self.account.vehicles.discard(p["vin"])
        return self._ok()
