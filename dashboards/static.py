"""Static snapshots written into a release: the mission dashboards as HTML pages that open offline, with no
server (they replace the old `report/mission_report.html`).

Belongs here: rendering each mission dashboard (the same blocks the live page shows, `dashboards.pagetypes.
missions`) to `missions/mission-NN.html` with a CSV file per table, plotly.js written once to
`assets/plotly.min.js` (from the installed plotly package: no CDN), the stylesheet, and the folder's
`index.html` (the mission pages, the page definitions with their check status, how to open the live pages).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from dashboards.blocks import downloadable, esc, to_html
from dashboards.check import CheckReport
from dashboards.pagetypes.base import PageContext
from dashboards.pagetypes.missions import MissionDashboard
from dashboards.release import ReleaseData

ASSETS = Path(__file__).resolve().parent / "assets"


def _page(title: str, body: str, *, depth: int, release_id: str, scripts: bool) -> str:
    up = "../" * depth
    js = f'<script src="{up}assets/plotly.min.js"></script>' if scripts else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} | Levelling Up dashboards (release {esc(release_id)})</title>"
        f'<link rel="stylesheet" href="{up}assets/dashboards.css">{js}</head><body>'
        '<a class="skip-link" href="#main">Skip to main content</a>'
        '<header class="site-header"><div class="header-top">'
        f'<a class="brand" href="{up}index.html">Levelling Up dashboards</a>'
        f'<span class="release-badge">Release {esc(release_id)} · static snapshot</span></div>'
        f'<nav class="site-nav" aria-label="Dashboards"><ul><li><a href="{up}index.html">Home</a></li></ul></nav>'
        f'</header><main id="main" tabindex="-1"><h1 id="page-title">{esc(title)}</h1>{body}</main>'
        '<footer class="site-footer"><p>Source: Office for National Statistics and the publishers named per '
        "indicator, licensed under the Open Government Licence v3.0. Contains public sector information "
        "licensed under the Open Government Licence v3.0. Static snapshot: the live dashboards (filters, area "
        "profiles, indicator explorer) are served by <code>levelup dashboards</code>.</p></footer></body></html>"
    )


def write_assets(out: Path) -> None:
    from plotly.offline import get_plotlyjs

    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    shutil.copyfile(ASSETS / "dashboards.css", assets / "dashboards.css")


def write_mission_pages(data: ReleaseData, out: Path, catalogue: list[dict] | None = None) -> dict[int, dict]:
    """missions/mission-NN.html (+ missions/csv/*.csv) for every mission the release has; returns per mission
    the page, its charts and its CSV files. `catalogue`: the mission metric catalogue (default: the seed)."""
    page = MissionDashboard(catalogue)
    missions = out / "missions"
    (missions / "csv").mkdir(parents=True, exist_ok=True)
    written: dict[int, dict] = {}
    with data.connect() as con:
        ctx = PageContext(data, con)
        present = {r[0] for r in ctx.rows("select distinct mission from mission_metrics")}
        for m, name in sorted(page.missions().items()):
            if m not in present:
                continue
            blocks = page.content(ctx, {"mission": str(m)})
            csvs = {}
            for key, table in downloadable(blocks).items():
                rel = f"csv/mission-{m:02d}-{key}.csv"
                table.csv_frame().to_csv(missions / rel, index=False, date_format="%Y-%m-%d")
                csvs[key] = rel
            body = to_html(blocks, csv_files=csvs, rewrite=_mission_link)
            html_rel = f"missions/mission-{m:02d}.html"
            title = f"Mission {m}: {name}"
            (out / html_rel).write_text(
                _page(title, body, depth=1, release_id=data.release_id, scripts=True), encoding="utf-8"
            )
            written[m] = {"title": title, "page": html_rel, "charts": body.count('class="chart"'),
                          "csv": [f"missions/{c}" for c in csvs.values()]}  # fmt: skip
    return written


def _mission_link(href: str) -> str | None:
    """'/mission?mission=7' -> 'mission-07.html' (the snapshot next door); other server links stay text."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(href)
    if parts.path == "/mission":
        m = (parse_qs(parts.query).get("mission") or [""])[0]
        return f"mission-{int(m):02d}.html" if m.isdigit() else None
    return None


def write_index(
    out: Path, release_id: str, missions: dict[int, dict], report: CheckReport, build: dict
) -> None:
    rows = []
    for p in report.pages:
        file = (
            f'<a href="pages/{esc(p.file)}">{esc(p.file)}</a>'
            if p.file
            else "built in (dashboards/pagetypes)"
        )
        notes = "; ".join(p.problems + p.notes)
        rows.append(
            f"<tr><th scope=row>{esc(p.title)}</th><td>{esc(p.kind)}</td><td>{esc(p.access)}</td>"
            f"<td>{file}</td><td>{esc(p.status)}{' (template)' if p.template else ''}</td><td>{esc(notes)}</td></tr>"
        )
    mission_items = "".join(
        f'<li><a href="{esc(v["page"])}">{esc(v["title"])}</a> ({v["charts"]} charts)</li>'
        for _m, v in sorted(missions.items())
    )
    reused = build.get("reused_from")
    body = (
        "<p class='lede'>The dashboards of this release. The mission dashboards below are static snapshots: "
        "they open from this folder with no server and no network. Every chart has its data table and a CSV "
        "file.</p>"
        "<h2>Mission dashboards</h2>"
        f"<nav class='links' aria-label='Mission dashboards'><ul>{mission_items}</ul></nav>"
        "<h2>Live dashboards</h2><p>Area profiles (every district, county or unitary authority, combined "
        "authority, region and nation), the indicator explorer, custom areas and the teams' pages are served by "
        "<code>levelup dashboards</code> (http://127.0.0.1:8050/ by default) over the current release; add "
        "<code>?release="
        + esc(release_id)
        + "</code> to any address to see this release once it is no longer "
        "current.</p>"
        "<h2>Page definitions and their check</h2>"
        "<p>Every page was checked against this release's marts (each query run, every column a chart uses "
        "looked up); the definitions are in <code>pages/</code>, the full report in "
        "<a href='validation.json'>validation.json</a>.</p>"
        "<div class='table-scroll' tabindex='0' role='region' aria-label='Page checks'><table class='data-table'>"
        "<caption>Pages checked against this release</caption><thead><tr><th scope=col>Page</th>"
        "<th scope=col>Type</th><th scope=col>Access</th><th scope=col>Definition</th><th scope=col>Check</th>"
        f"<th scope=col>Notes</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f"<p class='note'>Built {esc(build.get('built_at', ''))} in {build.get('seconds', 0):.1f} s"
        + (
            f"; mission snapshots reused from release {esc(reused)} (the marts they read were unchanged)"
            if reused
            else ""
        )
        + ".</p>"
    )
    (out / "index.html").write_text(
        _page("Dashboards", body, depth=0, release_id=release_id, scripts=False), encoding="utf-8"
    )


def write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
