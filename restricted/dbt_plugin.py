"""The restricted dbt project's door to the zone's encrypted data (a dbt-duckdb plugin).

Belongs here: only the plugin. The restricted project runs on an in-memory DuckDB (`dbt_restricted/profiles.yml`),
and its record-level source (`landed.aps_personal_wellbeing_microdata`, `meta: {plugin: zone}`) is loaded by
`Plugin.load`: the feed's current encrypted version is decrypted in memory with the zone key and handed to
DuckDB as an Arrow table. Record-level rows and pre-SDC cells therefore exist only in the memory of that one
dbt process: no plaintext zone database is ever written to disk. A wrong or missing key fails the build (and so
the restricted feed), it is never bypassed by a stale copy.
"""

from __future__ import annotations

import io

import pyarrow.parquet as pq
from dbt.adapters.duckdb.plugins import BasePlugin

from core.settings import get_settings
from restricted.crypto import read_encrypted
from restricted.keys import load_key
from restricted.zone import Zone


class Plugin(BasePlugin):
    def load(self, source_config):
        feed_id = source_config.get("feed_id")
        current = Zone(get_settings()).current_version(feed_id)
        if not current.exists():
            raise RuntimeError(f"restricted feed {feed_id!r} has no landed version to build from")
        plain = read_encrypted(current.resolve(), load_key())
        return pq.read_table(io.BytesIO(plain))
