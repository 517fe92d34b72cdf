"""The per-release quality report: one static HTML page listing every check, its result and failing samples.

Belongs here: rendering the manifest's `checks`, `marts` and `feeds` sections into `quality_report.html`.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, select_autoescape

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Quality report — release {{ m.release_id }}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
 table { border-collapse: collapse; margin-bottom: 2rem; width: 100%; }
 th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; font-size: .9rem; }
 th { background: #f0f0f0; }
 .pass { color: #0a6b2d; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
 .warn { color: #a15c00; font-weight: bold; } code { font-size: .8rem; }
</style></head><body>
<h1>Quality report — release {{ m.release_id }}</h1>
<p>Created {{ m.created_at }} from code {{ m.code_version }}. Previous release: {{ m.previous_release or "none" }}.</p>
<h2>Marts</h2>
<table><tr><th>mart</th><th>status</th><th>rows</th><th>why</th></tr>
{% for name, mart in m.marts.items() %}
<tr><td>{{ name }}</td>
<td class="{{ 'pass' if mart.status == 'fresh' else 'fail' }}">{{ mart.status }}{% if mart.carried_from %} (from {{ mart.carried_from }}){% endif %}</td>
<td>{{ mart.rows if mart.rows is not none else "—" }}</td>
<td>{% for r in mart.reasons %}{{ r }}<br>{% endfor %}{% if mart.failing_samples %}<code>{{ mart.failing_samples }}</code>{% endif %}</td></tr>
{% endfor %}</table>
<h2>Feeds</h2>
<table><tr><th>feed</th><th>last ingest</th><th>rows</th><th>sha256</th><th>retrieved</th><th>message</th></tr>
{% for fid, f in m.feeds.items() %}
<tr><td><a href="{{ f.url }}">{{ fid }}</a></td>
<td class="{{ 'fail' if f.last_ingest_status == 'failed' else 'pass' }}">{{ f.last_ingest_status }}</td>
<td>{{ f.rows }}</td><td><code>{{ (f.sha256 or '')[:16] }}</code></td><td>{{ f.retrieved_at }}</td>
<td>{{ f.last_ingest_message or "" }}</td></tr>
{% endfor %}</table>
<h2>Checks</h2>
<table><tr><th>mart</th><th>level</th><th>check</th><th>on</th><th>result</th><th>detail</th></tr>
{% for mart, checks in m.checks.items() %}{% for c in checks %}
<tr><td>{{ mart }}</td><td>{{ c.level }}</td><td><code>{{ c.name }}</code></td><td>{{ c.target }}</td>
<td class="{{ 'pass' if c.passed else ('fail' if c.severity == 'error' else 'warn') }}">{{ 'pass' if c.passed else ('FAIL' if c.severity == 'error' else 'warn') }}</td>
<td>{{ c.message }}{% if c.failing_samples %}<br><code>{{ c.failing_samples }}</code>{% endif %}</td></tr>
{% endfor %}{% endfor %}</table>
</body></html>
"""


def write_quality_report(path: Path, manifest: dict) -> None:
    env = Environment(autoescape=select_autoescape(default=True))
    path.write_text(env.from_string(TEMPLATE).render(m=manifest), encoding="utf-8")
