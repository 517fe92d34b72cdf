"""The per-release quality report: one static HTML page listing every check, its result and failing samples.

Belongs here: rendering the manifest's `checks`, `marts` and `feeds` sections into `quality_report.html`
(template publish/templates/quality_report.html.j2).
"""

from __future__ import annotations

from pathlib import Path

from publish.render import render


def write_quality_report(path: Path, manifest: dict) -> None:
    path.write_text(render("quality_report.html.j2", m=manifest), encoding="utf-8")
