"""The official reference data is the oracle: every call any flow can make conforms to it."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import fsm
from fsm.catalog import CATALOG, DIALECTS, PLATFORMS, Entry
from fsm.flows import FLOWS
from tests.helpers import at

#: The official reference data, vendored with its source and hashes (tests/reference/README.md).
VENDORED = Path(__file__).resolve().parent / "reference"
VERSIONS = ("2-0", "2-1", "2-3")
REFERENCE = VENDORED / "mobile-sdk-v2-3.yml"


@cache
def reference_apis(version: str = "2-3") -> list[dict[str, Any]]:
    data = yaml.safe_load((VENDORED / f"mobile-sdk-v{version}.yml").read_text(encoding="utf-8"))
    return [a for a in data["apis"] if a["component"]["tag"] in ("StrongAuthentication", "UserInformation")]


def reference_for(entry: Entry) -> dict[str, Any]:
    found = [a for a in reference_apis()
             if a["apiName"] == entry.api and a["type"] == entry.op and a.get("subname") == entry.subname]
    assert len(found) == 1, f"{entry.key}: {len(found)} reference entries"
    return found[0]


def allowed_values(param: dict[str, Any]) -> set[str]:
    values = param.get("unitOrValue")
    if not isinstance(values, list):
        return set()
    return {str(v).split(":")[0].strip() for v in values}


def every_call() -> list[tuple[str, str, str, str]]:
    """(flow, state, dialect, platform) for every call state of every flow."""
    return [
        (flow.name, state.name, dialect, platform)
        for flow in FLOWS.values()
        for state in flow.states
        if state.kind == "call"
        for dialect in DIALECTS
        for platform in PLATFORMS
    ]


def make_call(flow: str, state: str, dialect: str, platform: str) -> fsm.Call:
    call = at(flow, state, dialect=dialect, platform=platform).action
    assert isinstance(call, fsm.Call)
    return call


@pytest.mark.parametrize(("flow", "state", "platform"),
                         sorted({(f, s, p) for f, s, _, p in every_call()}))
def test_reference_dialect_calls_conform_to_the_official_data(flow: str, state: str, platform: str) -> None:
    """In the reference dialect a call has exactly the required parameters, with allowed values."""
    call = make_call(flow, state, "reference", platform)
    ref = reference_for(CATALOG[call.name])
    params = ref["parameters"] if isinstance(ref["parameters"], list) else []
    expected = set()
    for p in params:
        ios_only = "Only for iOS" in str(p.get("description", ""))
        if p["required"] and not (ios_only and platform != "ios"):
            expected.add(p["name"])
    assert expected == set(call.parameters), f"{flow} {state}"
    for p in params:
        allowed = allowed_values(p)
        if allowed and p["name"] in call.parameters:
            assert call.parameters[p["name"]] in allowed
    assert call.api == ref["apiName"]
    assert call.op == ref["type"]


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_catalog_errors_and_availability_are_the_references(key: str) -> None:
    """Each catalog entry lists exactly the error codes and first version the reference gives."""
    entry = CATALOG[key]
    ref = reference_for(entry)
    assert {e["code"] for e in ref["errors"]} == set(entry.errors)
    assert tuple(int(x) for x in str(ref["firstAvailability"]).split(".")) == entry.since


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_catalog_outputs_accept_every_documented_value(key: str) -> None:
    """Every enum value the reference documents for an output is read as some outcome, never malformed."""
    entry = CATALOG[key]
    ref = reference_for(entry)
    outputs = ref["output"] if isinstance(ref["output"], list) else []
    for out in outputs:
        values = out.get("unitOrValue")
        if isinstance(values, list):
            for v in values:
                assert entry.output.classify({out["name"]: v}) in entry.output.outcomes


def test_dialects_differ_exactly_where_protocol_says() -> None:
    """tutorial vs reference: 4.2 key type/action, and 5's phoneNumber; nothing else."""
    differences = set()
    for flow, state, dialect, platform in every_call():
        if dialect != "tutorial":
            continue
        tut = make_call(flow, state, "tutorial", platform).parameters
        ref = make_call(flow, state, "reference", platform).parameters
        if tut != ref:
            differences.add((state, tuple(sorted(set(tut) ^ set(ref)))))
    assert differences == {("4.2", ("action", "type")), ("5", ("phoneNumber",))}


def test_ios_sends_sms_code_at_steps_7_and_8_only_on_ios() -> None:
    """The smsCode of steps 7 and 8 is sent on iOS only."""
    for state in ("7", "8"):
        assert "smsCode" in make_call("enrollment", state, "tutorial", "ios").parameters
        assert "smsCode" not in make_call("enrollment", state, "tutorial", "android").parameters


def test_every_reference_call_used_by_the_flows_is_in_the_catalog() -> None:
    """The catalog holds every call the flows make, and only those."""
    used = {s.call for f in FLOWS.values() for s in f.states if s.call}
    assert used == set(CATALOG)


def test_the_vendored_reference_is_the_one_its_readme_names() -> None:
    """Each vendored file has the sha256 its README gives (source URL and commit are said there)."""
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    assert "https://github.com/Stellantis/stellantis.github.io" in readme
    assert "2e1e7b18640e00ba98058b9acfcdbd9a6faf13a4" in readme
    listed = dict(re.findall(r"\| `(mobile-sdk-v[0-9-]+\.yml)` \| [0-9.]+ \| `([0-9a-f]{64})` \|", readme))
    assert set(listed) == {f"mobile-sdk-v{v}.yml" for v in VERSIONS} == {p.name for p in VENDORED.glob("*.yml")}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_a_call_exists_in_every_sdk_version_from_its_first_on(key: str) -> None:
    """The reference of each SDK version lists a call exactly when the catalog says it is available."""
    entry = CATALOG[key]
    for version in VERSIONS:
        sdk = tuple(int(x) for x in version.split("-"))
        listed = [a for a in reference_apis(version)
                  if a["apiName"] == entry.api and a["type"] == entry.op and a.get("subname") == entry.subname]
        assert len(listed) == (1 if sdk >= entry.since[:2] else 0), (key, version)
