"""Page content that does not know how it is shown, and its two renderers.

Belongs here: the blocks every page is made of (`Section`, `Chart`, `Table`, `Text`, `Facts`, `Links`), the
plotly figure style shared by every chart, and the renderers: `to_dash` (components for the live server) and
`to_html` (a static page for the snapshots written into a release). A `Chart` always carries the table of
what it plots and a one-line summary: its text alternative, shown beside it (the table in a disclosure widget)
and offered as CSV. Every `Table` cell keeps its unrounded value in `data-value`, so a test (or a screen
reader user's CSV) can check the numbers.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito / ONS-like qualitative palette with enough contrast on white
PALETTE = ["#12436D", "#F46A25", "#28A197", "#801650", "#3D3D3D", "#A285D1", "#2073BC", "#6BACE6", "#E6AB02"]
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
FONT = "Arial, Helvetica, sans-serif"


@dataclass
class Column:
    name: str
    label: str
    fmt: Callable[[Any, dict], str] | None = None  # (value, row) -> text shown
    href: Callable[[dict], str | None] | None = None  # (row) -> link
    numeric: bool = False


@dataclass
class Table:
    key: str  # unique in the page: element ids and the CSV download name
    title: str
    data: pd.DataFrame  # what the CSV download holds (every column, unrounded)
    columns: list[Column] | None = None  # what is shown (default: every column as text)
    caption: str | None = None
    max_rows: int | None = None  # shown rows (the CSV always has every row)
    csv: pd.DataFrame | None = None  # the CSV when it differs from `data` (helper columns dropped)
    row_key: Callable[[dict], str] | None = (
        None  # `data-key` of each row (what a test or a script can look up)
    )

    def csv_frame(self) -> pd.DataFrame:
        return self.csv if self.csv is not None else self.data

    def shown_columns(self) -> list[Column]:
        if self.columns is not None:
            return self.columns
        return [Column(c, c, numeric=pd.api.types.is_numeric_dtype(self.data[c])) for c in self.data.columns]


@dataclass
class Chart:
    key: str
    title: str
    figure: go.Figure | dict  # a plain dict where building validated objects would be slow
    table: Table
    summary: str


@dataclass
class Text:
    text: str
    kind: str = "p"  # p | note | warning | aim | code | h4 (a small heading)


@dataclass
class Facts:
    items: list[tuple[str, str]]
    key: str | None = None


@dataclass
class Links:
    title: str | None
    items: list[tuple[str, str]]  # (label, href)
    key: str | None = None


@dataclass
class Section:
    title: str | None
    children: list = field(default_factory=list)
    key: str | None = None
    aside: list = field(default_factory=list)  # shown beside the children (definitions, caveats, sources)
    level: int = 2


Block = Section | Chart | Table | Text | Facts | Links


def walk(blocks: list) -> list:
    """Every block, depth first (sections' children and asides included)."""
    out = []
    for b in blocks:
        out.append(b)
        if isinstance(b, Section):
            out += walk(b.children) + walk(b.aside)
        if isinstance(b, Chart):
            out.append(b.table)
    return out


def downloadable(blocks: list) -> dict[str, Table]:
    """key -> Table for every table on the page (a chart's table under the chart's key)."""
    out: dict[str, Table] = {}
    for b in blocks:
        if isinstance(b, Section):
            out.update(downloadable(b.children + b.aside))
        elif isinstance(b, Chart):
            out[b.key] = b.table
        elif isinstance(b, Table):
            out[b.key] = b
    return out


# -- figures -----------------------------------------------------------------------------------------------
AXIS = {"gridcolor": "#e6e9ee", "linecolor": "#b1b4b6", "zerolinecolor": "#b1b4b6", "automargin": True,
        "ticks": "outside", "tickcolor": "#b1b4b6"}  # fmt: skip


def base_layout(*, height: int = 360, y_title: str | None = None, x_title: str | None = None) -> dict:
    """The layout every chart shares, as a plain dict (plotly's named templates are deep-copied per figure,
    which costs seconds over a mission page's charts)."""
    return {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "font": {"family": FONT, "size": 13, "color": "#0b0c0c"},
        "colorway": PALETTE,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2, "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": {**AXIS, "title": {"text": x_title or ""}},
        "yaxis": {**AXIS, "title": {"text": y_title or ""}},
        "shapes": [],
        "annotations": [],
    }


def style(fig: go.Figure, *, height: int = 360, y_title: str | None = None, x_title: str | None = None):
    """`base_layout` applied to a plotly figure object (the declarative pages' plotly express charts)."""
    layout = base_layout(height=height, y_title=y_title, x_title=x_title)
    xaxis, yaxis = layout.pop("xaxis"), layout.pop("yaxis")
    layout.pop("shapes"), layout.pop("annotations")
    fig.update_layout(template=None, **layout)
    fig.update_xaxes(**xaxis)
    fig.update_yaxes(**yaxis)
    return fig


# -- plain values ------------------------------------------------------------------------------------------
def plain(value) -> str:
    """A value as text for a cell or a CSV-like attribute (dates ISO, no float noise)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return (
            repr(value) if not value.is_integer() else str(int(value)) if abs(value) < 1e15 else repr(value)
        )
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat() if getattr(value, "hour", 0) == 0 else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _records(table: Table) -> list[dict]:
    df = table.data if table.max_rows is None else table.data.head(table.max_rows)
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _cell_text(col: Column, value, row: dict) -> str:
    if col.fmt is not None:
        return col.fmt(value, row)
    return plain(value)


# -- HTML fragments both renderers share ---------------------------------------------------------------------
def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


Rewrite = Callable[[str], str | None]


def _resolve(href: str | None, rewrite: Rewrite | None) -> str | None:
    """Live pages keep every link. Static pages keep external links and turn server links ('/mission?...') into
    files of the snapshot through `rewrite` (None: shown as text)."""
    if not href or rewrite is None or not href.startswith("/"):
        return href or None
    return rewrite(href)


def table_html(
    t: Table, *, heading: bool = True, csv_href: str | None = None, rewrite: Rewrite | None = None
) -> str:
    """A table as HTML: a scrollable, focusable region, a caption, header cells with scope, every cell with its
    column (`data-col`) and unrounded value (`data-value`), and the CSV link under it."""
    cols = t.shown_columns()
    rows = _records(t)
    out = [f'<div class="table-block" data-key="{esc(t.key)}" data-rows="{len(t.data)}">']
    if heading and t.title:
        out.append(f"<h3>{esc(t.title)}</h3>")
    out.append(f'<div class="table-scroll" tabindex="0" role="region" aria-label="{esc(t.title or t.key)}">')
    out.append(f'<table class="data-table" id="table-{esc(t.key)}">')
    if t.caption or t.title:
        out.append(f"<caption>{esc(t.caption or t.title)}</caption>")
    num = ' class="num"'
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{num if c.numeric else ""}>{esc(c.label)}</th>' for c in cols
    ) + "</tr></thead><tbody>")  # fmt: skip
    for r in rows:
        cells = []
        for i, c in enumerate(cols):
            v = r.get(c.name)
            text = esc(_cell_text(c, v, r))
            link = _resolve(c.href(r) if c.href else None, rewrite)
            content = f'<a href="{esc(link)}">{text}</a>' if link else text
            tag, attrs = ("th", ' scope="row"') if i == 0 else ("td", ' class="num"' if c.numeric else "")
            cells.append(
                f'<{tag}{attrs} data-col="{esc(c.name)}" data-value="{esc(plain(v))}">{content}</{tag}>'
            )
        key = f' data-key="{esc(t.row_key(r))}"' if t.row_key else ""
        out.append(f"<tr{key}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if len(rows) < len(t.data):
        out.append(f'<p class="note">Showing {len(rows)} of {len(t.data)} rows; the CSV has every row.</p>')
    if csv_href:
        out.append(
            f'<a class="csv-link" id="csv-{esc(t.key)}" data-key="{esc(t.key)}" href="{esc(csv_href)}" download>'
            f'Download CSV<span class="visually-hidden">: {esc(t.title or t.key)}</span></a>'
        )
    out.append("</div>")
    return "".join(out)


def links_html(b: Links, *, rewrite: Rewrite | None = None) -> str:
    items = []
    for label, href in b.items:
        link = _resolve(href, rewrite)
        items.append(f'<li><a href="{esc(link)}">{esc(label)}</a></li>' if link else f"<li>{esc(label)}</li>")
    items = "".join(items)
    title = f"<h3>{esc(b.title)}</h3>" if b.title else ""
    key = f' id="links-{esc(b.key)}"' if b.key else ""
    return f'<nav class="links"{key} aria-label="{esc(b.title or "links")}">{title}<ul>{items}</ul></nav>'


def facts_html(b: Facts) -> str:
    key = f' id="facts-{esc(b.key)}"' if b.key else ""
    return (
        f'<dl class="facts"{key}>'
        + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in b.items)
        + "</dl>"
    )


def text_html(b: Text) -> str:
    if b.kind == "code":
        return f"<pre><code>{esc(b.text)}</code></pre>"
    if b.kind == "h4":
        return f"<h4>{esc(b.text)}</h4>"
    cls = "" if b.kind == "p" else f' class="{esc(b.kind)}"'
    role = ' role="status"' if b.kind == "warning" else ""
    return f"<p{cls}{role}>{esc(b.text)}</p>"


# -- Dash ----------------------------------------------------------------------------------------------------
def _kw(**attrs) -> dict:
    """Dash components refuse `id=None` (and friends): pass only the attributes that are set."""
    return {k: v for k, v in attrs.items() if v is not None}


def to_dash(blocks: list, csv_href: Callable[[str], str]) -> list:
    """Blocks as Dash components. Charts are `dcc.Graph`s; tables, facts, link lists and text are HTML written
    here (escaped) inside one `dcc.Markdown` each: thousands of cells as Dash components would take the
    browser tens of seconds to render, one HTML fragment takes a fraction of one."""
    from dash import dcc
    from dash import html as h

    def raw(fragment: str, cls: str):
        return dcc.Markdown(fragment, dangerously_allow_html=True, className=f"raw {cls}")

    def one(b):
        if isinstance(b, Section):
            heading = {1: h.H1, 2: h.H2, 3: h.H3}.get(b.level, h.H4)
            inner = [one(c) for c in b.children]
            if b.aside:
                inner = [
                    h.Div(
                        [
                            h.Div(inner, className="section-main"),
                            h.Aside([one(c) for c in b.aside], className="defs"),
                        ],
                        className="with-aside",
                    )
                ]
            return h.Section(
                ([heading(b.title)] if b.title else []) + inner,
                className="block-section",
                **_kw(id=f"section-{b.key}" if b.key else None),
            )
        if isinstance(b, Chart):
            summary_id = f"summary-{b.key}"
            return h.Figure(
                [
                    h.Figcaption(b.title),
                    h.P(b.summary, id=summary_id, className="chart-summary"),
                    h.Div(
                        dcc.Graph(id=f"graph-{b.key}", figure=b.figure, config=GRAPH_CONFIG),
                        **{"aria-describedby": summary_id},
                        className="graph",
                    ),
                    h.Details(
                        [
                            h.Summary(f"Data table: {b.title}"),
                            raw(table_html(b.table, heading=False, csv_href=csv_href(b.key)), "table"),
                        ],
                        className="chart-data",
                    ),  # fmt: skip
                ],
                className="chart",
                id=f"chart-{b.key}",
                **{"data-key": b.key},
            )
        if isinstance(b, Table):
            return raw(table_html(b, csv_href=csv_href(b.key)), "table")
        if isinstance(b, Text):
            return raw(text_html(b), "text")
        if isinstance(b, Facts):
            return raw(facts_html(b), "facts")
        if isinstance(b, Links):
            return raw(links_html(b), "links")
        raise TypeError(f"unknown block {type(b).__name__}")

    return [one(b) for b in blocks]


# -- static HTML -----------------------------------------------------------------------------------------------
def to_html(blocks: list, csv_files: dict[str, str] | None = None, rewrite: Rewrite | None = None) -> str:
    """Blocks as static HTML: charts as plotly divs (plotly.js must be loaded once by the page), every table
    as an HTML table with a link to its CSV file when `csv_files` names one; links to the live server become
    links to the snapshot's files through `rewrite`, or text."""
    csv_files = csv_files or {}
    rewrite = rewrite or (lambda _href: None)

    def one(b) -> str:
        if isinstance(b, Section):
            lvl = min(max(b.level, 1), 4)
            inner = "".join(one(c) for c in b.children)
            if b.aside:
                inner = (
                    f'<div class="with-aside"><div class="section-main">{inner}</div>'
                    f'<aside class="defs">{"".join(one(c) for c in b.aside)}</aside></div>'
                )
            sid = f' id="section-{esc(b.key)}"' if b.key else ""
            title = f"<h{lvl}>{esc(b.title)}</h{lvl}>" if b.title else ""
            return f'<section class="block-section"{sid}>{title}{inner}</section>'
        if isinstance(b, Chart):
            div = pio.to_html(
                b.figure,
                full_html=False,
                include_plotlyjs=False,
                config=GRAPH_CONFIG,
                div_id=f"graph-{b.key}",
                validate=False,
            )
            return (
                f'<figure class="chart" id="chart-{esc(b.key)}" data-key="{esc(b.key)}">'
                f"<figcaption>{esc(b.title)}</figcaption>"
                f'<p class="chart-summary" id="summary-{esc(b.key)}">{esc(b.summary)}</p>'
                f'<div class="graph" aria-describedby="summary-{esc(b.key)}">{div}</div>'
                f'<details class="chart-data"><summary>Data table: {esc(b.title)}</summary>'
                f"{table_html(b.table, heading=False, csv_href=csv_files.get(b.key), rewrite=rewrite)}</details></figure>"
            )
        if isinstance(b, Table):
            return table_html(b, csv_href=csv_files.get(b.key), rewrite=rewrite)
        if isinstance(b, Text):
            return text_html(b)
        if isinstance(b, Facts):
            return facts_html(b)
        if isinstance(b, Links):
            return links_html(b, rewrite=rewrite)
        raise TypeError(f"unknown block {type(b).__name__}")

    return "".join(one(b) for b in blocks)
