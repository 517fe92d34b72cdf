"""Every CSV reader dbt can open fits in the default DuckDB memory limit, even all at once.

`int_geography_source_observations` is one union of every ESS staging view, and each view is DuckDB's CSV reader
over a landed file. The reader holds 16 x `max_line_size` per scan in buffers it cannot spill. At 10 MB per line
(152.5 MiB buffers), the 58 registered feeds beside the benchmark's national small-area feed failed that model
at the 2 GB default: "could not allocate block of size 152.5 MiB (1.8 GiB/1.8 GiB used)". Checked here on the
generated dbt sources as committed (the registry sync test keeps them in step with the registry).
"""

from __future__ import annotations

import re

from core.settings import PROJECT_ROOT, Settings

BUFFERS_PER_LINE = 16  # DuckDB's CSV reader: buffer_size defaults to 16 x max_line_size


def _bytes(limit: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*([KMG]i?B)", limit.strip(), re.I).groups()
    return int(number) * 1024 ** {"k": 1, "m": 2, "g": 3}[unit[0].lower()]


def test_the_buffers_of_every_dbt_csv_reader_together_fit_in_the_default_memory_limit():
    sources = (PROJECT_ROOT / "dbt_project" / "models" / "staging" / "_sources.yml").read_text()
    line_sizes = [int(n) for n in re.findall(r"max_line_size\s+=\s+(\d+)", sources)]
    readers = len(re.findall(r"from read_csv\(", sources))
    assert readers >= 50 and len(line_sizes) == readers, (readers, len(line_sizes))
    worst = BUFFERS_PER_LINE * max(line_sizes) * readers
    limit = _bytes(Settings.model_fields["duckdb_memory_limit"].default)
    assert worst <= limit, f"{readers} readers x {BUFFERS_PER_LINE} x {max(line_sizes):,} B = {worst:,} B"
