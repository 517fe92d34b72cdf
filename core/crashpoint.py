"""Named pause points for the crash-safety tests (SIGKILL during ingest, dbt, checks or publish).

Belongs here: only `crashpoint(name)`. When `LEVELUP_CRASHPOINT` equals `name`, the process writes
`<data dir>/.crashpoint-<name>` and sleeps, so a test can SIGKILL it at exactly that moment. Unset (always, in
production) it does nothing.
"""

from __future__ import annotations

import os
import time

from core.settings import get_settings


def crashpoint(name: str) -> None:
    if os.environ.get("LEVELUP_CRASHPOINT") != name:
        return
    settings = get_settings()
    marker = settings.data_dir / f".crashpoint-{name}"
    marker.write_text(str(os.getpid()))
    time.sleep(settings.crashpoint_sleep)
