"""A person for tests and the demo, who reads the simulator's SMS inbox (one who follows a transcript is
``fsm.transcript.ScriptedPerson``)."""

from __future__ import annotations

from collections.abc import Mapping

from fsm.messages import Answer, Question
from fsm.ports.simulator import DEMO_PHONE, DEMO_PIN, DEMO_VIN, Simulator

__all__ = ["DemoPerson"]

#: A PIN the demo person chooses when asked for a new one (not an obvious one).
DEMO_NEW_PIN = "517093"


class DemoPerson:
    """Gives sensible answers: the account's PIN, the SMS code from the simulator's inbox, a phone, a VIN.

    ``overrides`` maps an input name (``pinCode``, ...) to a list of answers
    given first, in order, before the defaults.
    """

    def __init__(
        self,
        simulator: Simulator,
        *,
        pin: str = DEMO_PIN,
        new_pin: str = DEMO_NEW_PIN,
        phone: str = DEMO_PHONE,
        vin: str = DEMO_VIN,
        overrides: Mapping[str, list[Answer]] | None = None,
    ) -> None:
        self.simulator = simulator
        self.pin, self.new_pin, self.phone, self.vin = pin, new_pin, phone, vin
        self.overrides = {k: list(v) for k, v in (overrides or {}).items()}
        self.asked: list[Question] = []

    def provide(self, question: Question) -> Answer:
        self.asked.append(question)
        queue = self.overrides.get(question.name)
        if queue:
            return queue.pop(0)
        name = question.name
        if name == "smsCode":
            return self.simulator.latest_code() or "000000"
        if name == "phoneNumber":
            return self.phone
        if name == "vin":
            return self.vin
        if name == "oldPIN":
            return self.pin
        if question.new_pin and self.simulator.account.pin is not None:
            # A PIN exists (reset or update): choose another one, and remember it.
            self.pin = self.new_pin
        return self.pin
