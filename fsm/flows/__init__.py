"""THE protocol as data: the six flows (their generated reference: diagrams/README.md)."""

from __future__ import annotations

from collections.abc import Mapping

from fsm.flows.account import MODIFY_PHONE, REMOVE_ENROLLMENTS, REMOVE_VEHICLE, RESET_PIN, UPDATE_PIN
from fsm.flows.enrollment import ENROLLMENT
from fsm.spec import FlowSpec

FLOWS: Mapping[str, FlowSpec] = {
    f.name: f for f in (ENROLLMENT, REMOVE_ENROLLMENTS, RESET_PIN, UPDATE_PIN, MODIFY_PHONE, REMOVE_VEHICLE)
}

__all__ = ["FLOWS"]
