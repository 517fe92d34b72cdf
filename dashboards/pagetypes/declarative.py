"""A page written as YAML (`dashboards/pages/<id>.yml`, format in `dashboards.spec`), served at `/pages/<id>`.

Belongs here: turning a `PageSpec` into a `Page`: filters from static options or an options query, every query
run once per view with only the parameters it uses (bound, never formatted into the SQL), and each component
into blocks (plotly express charts with their data table and a generated summary, tables, text, metrics); the
marts each query reads (parsed with sqlglot), for the checker.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import sqlglot
from sqlglot import exp

from dashboards.blocks import PALETTE, Chart, Column, Facts, Table, Text, style
from dashboards.catalogue import fmt_value, slug
from dashboards.pagetypes.base import Filter, Option, Page, PageContext, PageError, QueryCheck
from dashboards.pagetypes.common import line_summary
from dashboards.spec import ComponentSpec, PageSpec, params_of

HELPER_VIEWS = {"dash_areas", "dash_indicators"}


def tables_read(sql: str) -> tuple[set[str], set[str]]:
    """(marts, restricted tables) a query reads; CTE names and helper views excluded."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise PageError(f"SQL does not parse: {str(exc).splitlines()[0]}") from None
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    marts, restricted = set(), set()
    for t in tree.find_all(exp.Table):
        if not t.name or (not t.db and t.name in ctes):
            continue
        if "restricted" in (t.catalog, t.db):
            restricted.add(t.name)
        elif t.name not in HELPER_VIEWS and not isinstance(t.this, exp.Anonymous):
            marts.add(t.name)
    return marts, restricted


class DeclarativePage(Page):
    kind = "declarative"

    def __init__(self, spec: PageSpec, source_file: str | None = None):
        self.spec = spec
        self.id = spec.id
        self.path = f"/pages/{spec.id}"
        self.title = spec.title
        self.description = spec.description
        self.owner = spec.owner
        self.access = spec.access
        self.source_file = source_file
        reads: set[str] = set()
        restricted: set[str] = set()
        for sql in [q.sql for q in spec.queries.values()] + [
            f.options_query for f in spec.filters if f.options_query
        ]:
            marts, cleared = tables_read(sql)
            reads |= marts
            restricted |= cleared
        self.reads = frozenset(reads)
        self.reads_restricted = frozenset(
            restricted
        )  # cleared-release tables (allowed on cleared pages only)

    # -- filters ----------------------------------------------------------------------------------------------
    def filters(self, ctx: PageContext) -> list[Filter]:
        out = []
        for f in self.spec.filters:
            if f.options_query:
                try:
                    df = ctx.df(f.options_query)
                except Exception as exc:  # noqa: BLE001 - reported with the page and filter named
                    raise PageError(
                        f"page {self.id!r}, filter {f.name!r}: options_query failed: {exc}"
                    ) from None
                if df.shape[1] == 0:
                    raise PageError(f"page {self.id!r}, filter {f.name!r}: options_query returns no column")
                values = df.iloc[:, 0].astype(str).tolist()
                labels = (df.iloc[:, 1] if df.shape[1] > 1 else df.iloc[:, 0]).astype(str).tolist()
                options = [Option(v, lbl) for v, lbl in zip(values, labels, strict=True)]
            else:
                options = [
                    Option(o, o) if isinstance(o, str) else Option(o.value, o.label or o.value)
                    for o in f.options
                ]
            if f.type == "multi":
                default = [f.default] if isinstance(f.default, str) else list(f.default or [])
            else:
                default = f.default if isinstance(f.default, str) else (options[0].value if options else None)
            out.append(Filter(f.name, f.label, options, default, kind=f.type, help=f.help))
        return out

    # -- checks -------------------------------------------------------------------------------------------------
    def checks(self) -> list[QueryCheck]:
        out = []
        for qname, q in self.spec.queries.items():
            marts, restricted = tables_read(q.sql)
            needs = {
                f"components[{i}] ({c.type} {c.title!r})": c.needed_columns()
                for i, c in enumerate(self.spec.components, start=1)
                if c.query == qname
            }
            out.append(
                QueryCheck(
                    self.id,
                    qname,
                    q.sql,
                    {},
                    needs,
                    reads=marts,
                    restricted=bool(restricted) or self.access == "cleared",
                )  # fmt: skip
            )
        for f in self.spec.filters:
            if f.options_query:
                marts, restricted = tables_read(f.options_query)
                out.append(QueryCheck(self.id, f"filters.{f.name}.options_query", f.options_query, {}, {},
                                      reads=marts, restricted=bool(restricted) or self.access == "cleared"))  # fmt: skip
        return out

    # -- content ------------------------------------------------------------------------------------------------
    def run_query(self, ctx: PageContext, name: str, values: dict) -> pd.DataFrame:
        q = self.spec.queries[name]
        params = {p: values.get(p) for p in params_of(q.sql)}
        try:
            return ctx.df(q.sql, params)
        except Exception as exc:  # noqa: BLE001 - reported with the page and query named
            raise PageError(f"page {self.id!r}, query {name!r} failed: {str(exc).splitlines()[0]}") from None

    def content(self, ctx: PageContext, values: dict) -> list:
        results: dict[str, pd.DataFrame] = {}
        blocks: list = []
        for i, c in enumerate(self.spec.components, start=1):
            if c.type == "text":
                blocks.append(Text(c.text or ""))
                continue
            if c.query not in results:
                results[c.query] = self.run_query(ctx, c.query, values)
            df = results[c.query]
            missing = [col for col in c.needed_columns() if col not in df.columns]
            if missing:
                raise PageError(
                    f"page {self.id!r}, components[{i}] ({c.type} {c.title!r}): unknown column(s) {missing} in "
                    f"query {c.query!r} (it returns {list(df.columns)})"
                )
            key = f"c{i}-{slug(c.title or c.type)}"[:60]
            blocks.append(self._component(key, c, df))
        blocks.append(Text(f"Page maintained by {self.owner}. Release {ctx.release_id}.", "note"))
        return blocks

    def _component(self, key: str, c: ComponentSpec, df: pd.DataFrame):
        title = c.title or ""
        if c.sort and c.y in df.columns:
            df = df.sort_values(c.y, ascending=c.sort == "ascending").reset_index(drop=True)

        def num(v, _r):
            if isinstance(v, bool) or v is None:
                return "" if v is None else str(v)
            if isinstance(v, int) or (hasattr(v, "is_integer") and c.decimal_places is None and float(v).is_integer()
                                      and abs(v) < 10_000):  # years, counts: as they are  # fmt: skip
                return str(int(v))
            return fmt_value(v, c.decimal_places, c.unit) if isinstance(v, (int, float)) else str(v)

        cols = [
            Column(col, col, fmt=num if pd.api.types.is_numeric_dtype(df[col]) else None,
                   numeric=pd.api.types.is_numeric_dtype(df[col]))
            for col in (c.columns or list(df.columns))
        ]  # fmt: skip
        if c.type == "table":
            return Table(key, title, df, cols, max_rows=c.max_rows)
        if c.type == "metric":
            v = df[c.y].iloc[0] if len(df) else None
            return Facts([(title or c.y, fmt_value(v, c.decimal_places, c.unit))], key=key)
        table = Table(key, title, df, cols, max_rows=c.max_rows)
        if c.type == "line":
            fig = px.line(df, x=c.x, y=c.y, color=c.color, markers=True, color_discrete_sequence=PALETTE)
            if pd.api.types.is_integer_dtype(df[c.x]):  # years as numbers: no '2,023.5' ticks
                fig.update_xaxes(tickformat="d", dtick=1 if df[c.x].nunique() <= 12 else None)
            summary = line_summary(df.assign(_s=df[c.color] if c.color else title), series="_s", x=c.x, y=c.y,
                                   unit=c.unit, decimal_places=c.decimal_places) if len(df) else "No rows."  # fmt: skip
        elif c.type == "bar":
            x, y = (c.y, c.x) if c.orientation == "h" else (c.x, c.y)
            fig = px.bar(
                df, x=x, y=y, color=c.color, orientation=c.orientation, color_discrete_sequence=PALETTE
            )
            if c.orientation == "h":
                fig.update_yaxes(autorange="reversed")
            label = c.label or c.x
            if len(df):
                hi, lo = df.loc[df[c.y].idxmax()], df.loc[df[c.y].idxmin()]
                summary = (f"{len(df)} bars. Highest: {hi[label]} ({num(hi[c.y], None)}); lowest: {lo[label]} "
                           f"({num(lo[c.y], None)}).")  # fmt: skip
            else:
                summary = "No rows."
        elif c.type == "histogram":
            fig = px.histogram(df, x=c.x, color=c.color, color_discrete_sequence=PALETTE)
            s = df[c.x].dropna()
            summary = (f"{len(s)} values; median {num(s.median(), None)}, range {num(s.min(), None)} to "
                       f"{num(s.max(), None)}.") if len(s) else "No rows."  # fmt: skip
        else:  # scatter
            fig = px.scatter(
                df, x=c.x, y=c.y, color=c.color, hover_name=c.label, color_discrete_sequence=PALETTE
            )
            pair = df[[c.x, c.y]].dropna()
            r = pair[c.x].corr(pair[c.y]) if len(pair) > 2 else None
            summary = f"{len(pair)} points" + (f"; correlation {r:.2f}." if r is not None and r == r else ".")
        style(fig, height=420 if c.type != "bar" or c.orientation == "v" else max(300, 22 * len(df) + 90))
        if c.summary:
            summary = c.summary.strip() + " " + summary
        return Chart(key, title, fig, table, summary)
