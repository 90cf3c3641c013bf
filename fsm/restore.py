"""``fsm.resume``: a flow built back from its snapshot, only where a run could have been.

:func:`fsm.snapshot.read` checks the document's shape; this module then accepts it only when its
configuration — state, counters, and which non-secret slots hold a value — is one a run of the flow
reaches under the snapshot's own options, a run that may itself have been saved and resumed
(:func:`fsm.reach.is_reachable`): an edited or forged
snapshot cannot buy a PIN submission, a pass through A or a call past its bound, nor skip a value a later
call needs. A flow that failed because the transient retries of a call ran out comes back at that call
(retry counter at 0, every other counter kept); every other end comes back ended. The resumed flow asks
again for the secrets the snapshot dropped, by the rules of :mod:`fsm.resumption`; a message whose
``transactionId`` was consumed before the snapshot is still refused (:class:`fsm.StaleMessage`).

Counters edited downwards to another reachable configuration cannot be detected: the SDK keeps the
authoritative count of PIN failures (it blocks the account, then answers 2317).
"""

from __future__ import annotations

from typing import Any

from fsm import spec
from fsm.errors import SnapshotInvalid
from fsm.machine import NO_MOVE, Flow, TraceEntry, compiled, host_logger
from fsm.reach import is_reachable
from fsm.resumption import EXHAUSTED_CAUSE, at_bound, resume_state, retry_state
from fsm.snapshot import read


def resume(data: object, *, logger: Any = None) -> Flow:
    """The flow ``data`` (a snapshot dict, or its JSON text) describes, ready to go on.

    Raises :class:`fsm.SnapshotInvalid` for anything but a snapshot of a configuration a run of this
    version of fsm reaches; see the module's docstring for where it resumes.
    """
    problem: str | None = None
    try:
        saved = read(data)
    except SnapshotInvalid as exc:
        problem = exc.problem
    del data  # untrusted, maybe holding anything: no frame keeps it when the refusal is raised
    if problem is not None:
        raise SnapshotInvalid(problem)  # raised afresh here: the frames that read the snapshot are not in it
    flow_spec = saved.flow
    counters = list(saved.counters)
    end = saved.end
    retry = None if end is None else retry_state(flow_spec, end[0], saved.trace[-1]["state"] if saved.trace else None)
    # Transient retries ran out: back at the call, as a flow that has not moved since (the edge into failed
    # reset the call's retry count).
    state = saved.state if retry is None else retry.name
    if not is_reachable(flow_spec, saved.options, state, counters, set(saved.values)):
        raise SnapshotInvalid("state, counters and values held: a configuration no run reaches")
    machine = compiled(flow_spec.name)
    flow = Flow(machine, saved.options, host_logger(logger))
    flow.state = state
    flow.counters = counters
    flow.values = dict(saved.values)
    flow._seen = set(saved.seen)
    flow.trace = [TraceEntry(**entry) for entry in saved.trace]
    if retry is None:
        flow._last = saved.last
        flow._end = end
    _pick_up(flow)
    return flow


def _pick_up(flow: Flow) -> None:
    """Move ``flow`` to where it asks again for the secrets its snapshot dropped (fsm.resumption)."""
    options = flow.options
    target = resume_state(flow.spec, flow.state, options.dialect, options.platform)
    if target == flow.state:
        return
    current = flow.current
    bounds = [options.bound(c) for c in flow.spec.counters]
    if at_bound(current, flow.counters, bounds, flow._c.counter_index):
        cause = EXHAUSTED_CAUSE.format(counter=current.counts)
        flow.state = spec.FAILED
        flow._end = (cause, None, "")
        flow._last = ("", None, spec.FAILED)
        return
    for i in flow._c.progress:
        flow.counters[i] = 0
    flow.state = target
    flow._last = NO_MOVE


__all__ = ["resume"]
