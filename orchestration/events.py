"""Reading what happened in a Dagster run: failed steps and failed checks, in one shape for every caller.

Belongs here: turning Dagster event records (from an `ExecuteInProcessResult` or the instance's event log) into
plain dicts with the step or check, and a bounded message. The CLI summary, `refresh-feeds` and the failure
notifications all use these, so a failure reads the same wherever it is reported.
"""

from __future__ import annotations

from dagster import DagsterEventType

MESSAGE_LIMIT = 2000


def _message(err) -> str:
    return (err.message.strip() if err else "")[:MESSAGE_LIMIT]


def step_failures_from_events(events) -> list[dict]:
    """From DagsterEvent objects (e.g. `result.all_events`)."""
    return [
        {"step": ev.step_key, "message": _message(ev.event_specific_data.error)}
        for ev in events
        if ev.event_type_value == "STEP_FAILURE"
    ]


def step_failures(instance, run_id: str) -> list[dict]:
    """From the instance's event log of a run."""
    return step_failures_from_events(
        rec.dagster_event for rec in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    )


def check_failures(instance, run_id: str) -> list[dict]:
    out = []
    for rec in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        ev = rec.dagster_event.event_specific_data
        if ev is None or ev.passed:
            continue
        msg = ev.metadata.get("message") or ev.metadata.get("reasons") or ev.metadata.get("reason")
        out.append(
            {
                "asset": ev.asset_key.to_user_string(),
                "check": ev.check_name,
                "severity": ev.severity.value if ev.severity else "ERROR",
                "message": str(getattr(msg, "value", msg or ""))[:MESSAGE_LIMIT],
            }
        )
    return out
