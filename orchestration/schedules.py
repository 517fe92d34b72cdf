"""When refreshes run on a timetable: one schedule per registry cadence, and the daily freshness evaluation.

Belongs here: the cadence -> cron table and the schedule definitions. Schedules start STOPPED unless
LEVELUP_AUTOMATION=running (an operator switches them on in the UI).
"""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from core.settings import get_settings

TIMEZONE = "Europe/London"

# When each cadence's scheduled refresh runs (06:00 London). The change sensor catches publications between.
CADENCE_CRON = {
    "daily": "0 6 * * *",
    "weekly": "0 6 * * 1",
    "monthly": "0 6 1 * *",
    "quarterly": "0 6 1 1,4,7,10 *",
    "annual": "0 6 1 4 *",  # 1 April: after the new geography codes and most annual ONS releases
}


def default_status() -> DefaultScheduleStatus:
    return DefaultScheduleStatus.RUNNING if get_settings().automation_on else DefaultScheduleStatus.STOPPED


def cadence_schedules(jobs_by_cadence: dict, feed_ids_by_cadence: dict[str, list[str]]) -> list:
    out = []
    for cadence, job in jobs_by_cadence.items():
        ids = feed_ids_by_cadence[cadence]
        out.append(
            ScheduleDefinition(
                name=f"refresh_{cadence}_schedule",
                cron_schedule=CADENCE_CRON[cadence],
                job=job,
                execution_timezone=TIMEZONE,
                default_status=default_status(),
                description=f"Registry cadence `{cadence}`: "
                + ", ".join(ids[:12])
                + (" ..." if len(ids) > 12 else ""),
                tags={"levelup/trigger": f"schedule_{cadence}"},
            )
        )
    return out


def freshness_schedule(job) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="freshness_checks_daily",
        cron_schedule="0 7 * * *",
        job=job,
        execution_timezone=TIMEZONE,
        default_status=default_status(),
        description="Flag feeds whose current version is older than their cadence allows.",
    )
