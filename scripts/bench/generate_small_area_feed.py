"""Generate a synthetic national small-area feed in the ESS tidy CSV layout, for the scale benchmark.

Every small area of the registered small-area lookup (LSOA 2011, data zone 2011, NI super output area: the
mirror's `reference/raw/mysociety_lookup_lsoa_to_registry.csv`, 42,619 areas) x years x 20 industries of GVA
(£ million, a count: it sums), about 2% of the cells suppressed (`status x`, empty observation). `--rows`
(default 50M) sets the size: the number of years is chosen so that areas x years x 20 reaches it. Written by
DuckDB straight to CSV (nothing row by row in Python), in a fixed order: the same --rows gives the same bytes.

    python scripts/bench/generate_small_area_feed.py --rows 50000000 --out <dir>/bench/small-area-gva.csv
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import duckdb

INDUSTRIES = [
    "A Agriculture, forestry and fishing", "B Mining and quarrying", "C Manufacturing",
    "D Electricity, gas, steam and air conditioning supply", "E Water supply; sewerage and waste management",
    "F Construction", "G Wholesale and retail trade", "H Transportation and storage",
    "I Accommodation and food service activities", "J Information and communication",
    "K Financial and insurance activities", "L Real estate activities",
    "M Professional, scientific and technical activities", "N Administrative and support service activities",
    "O Public administration and defence", "P Education", "Q Human health and social work activities",
    "R Arts, entertainment and recreation", "S Other service activities", "T Households as employers",
]  # fmt: skip
INDICATORS = [f"GVA {i.split()[0]}" for i in INDUSTRIES]  # short labels, as the ONS small-area files use
GEOGRAPHY = {"E01": "Lower Layer Super Output Area (2011)", "W01": "Lower Layer Super Output Area (2011)",
             "S01": "Data Zone (2011)", "95": "Northern Ireland Super Output Area (2011)"}  # fmt: skip


def lookup_path() -> Path:
    mirror = os.environ.get("LEVELUP_MIRROR")
    if not mirror:
        sys.exit("set LEVELUP_MIRROR (the small-area lookup is read from <mirror>/reference/raw/)")
    return Path(mirror) / "reference" / "raw" / "mysociety_lookup_lsoa_to_registry.csv"


def generate(rows: int, out: Path, first_year: int = 1900) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"create table areas as select trim(lsoa) as areacd from read_csv('{lookup_path()}', all_varchar=true)"
    )
    n_areas = con.execute("select count(*) from areas").fetchone()[0]
    years = max(1, math.ceil(rows / (n_areas * len(INDICATORS))))
    con.execute(
        "create table inds as select * from (values "
        + ", ".join(f"({i}, '{n}')" for i, n in enumerate(INDICATORS))
        + ") t(k, indicator)"
    )
    geo = " ".join(f"when areacd like '{p}%' then '{label}'" for p, label in GEOGRAPHY.items())
    n = n_areas * years * len(INDICATORS)
    t0 = time.monotonic()
    # One row per r in range(n), in order (DuckDB keeps insertion order): year-major, then industry, then area.
    con.execute(
        f"""
        copy (
            with codes as (select list(areacd order by areacd) as c from areas),
            cells as (
                select c[(r % {n_areas}) + 1] as areacd, (r // {n_areas}) % {len(INDICATORS)} as k,
                       {first_year} + r // {n_areas * len(INDICATORS)} as y, hash(r) as h
                from range({n}) as t(r), codes
            )
            select
                areacd,
                areacd as areanm,
                case {geo} end as geography,
                list_extract({INDICATORS!r}, k + 1) as indicator,
                cast(y as varchar) || '-01-01/P1Y' as period,
                case when h % 50 = 0 then null else round(0.05 + (h % 100000) / 10000.0, 3) end as observation,
                'Current prices' as measure,
                '£ million' as unit,
                null as lci_95,
                null as uci_95,
                case when h % 50 = 0 then 'x' end as status,
                null as notes
            from cells
        ) to '{out}' (header, delimiter ',')
        """
    )
    total = n
    return {"rows": total, "areas": n_areas, "years": years, "industries": len(INDICATORS),
            "bytes": out.stat().st_size, "seconds": round(time.monotonic() - t0, 1), "path": str(out)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    print(generate(args.rows, args.out))


if __name__ == "__main__":
    main()
