"""The Dash app: routing, filters bound to the URL, page content, CSV downloads, sign-in, security headers.

Belongs here: `create_app()`, assembling the shell (skip link, header with the release shown, navigation, main
region), two callbacks (the route renders a page's filters from the URL's query parameters; the content
callback renders the page for the filters' values and writes them back into the URL, so every view has a
shareable address), the Flask routes (`/download/<page>/<table>.csv` re-runs the page for the same query string
and returns that table; `/login`, `/logout`; `/healthz`), and the headers (a 'self'-only Content Security
Policy: the pages can reach no other host). Every request resolves `releases/current` again (or `?release=ID`),
so a promotion or a rollback re-points the dashboards without a restart.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import flask
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from core.settings import get_settings
from dashboards import auth
from dashboards.blocks import downloadable, to_dash
from dashboards.pagetypes import PageSet
from dashboards.pagetypes.base import Filter, Page, PageContext, PageError
from dashboards.release import ReleaseNotFound, Releases

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parent / "assets"

INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>
<noscript><p class="noscript">These dashboards need JavaScript. Without it, open the static mission pages of the
release: <code>releases/&lt;id&gt;/dashboards/index.html</code>.</p></noscript>
{%app_entry%}
<footer>{%config%}{%scripts%}{%renderer%}</footer>
</body>
</html>"""


def _params(search: str | None) -> dict[str, list[str]]:
    return parse_qs((search or "").lstrip("?"), keep_blank_values=False)


def _query(values: dict, release: str | None) -> str:
    q = {k: v for k, v in values.items() if v not in (None, "", [])}
    if release:
        q["release"] = release
    return "?" + urlencode(q, doseq=True) if q else ""


def request_role() -> str:
    settings = get_settings()
    token = flask.request.cookies.get(auth.COOKIE)
    header = flask.request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    try:
        return auth.role_for(token, settings.dashboards_tokens_file)
    except auth.TokenError as exc:
        log.error("%s", exc)
        return "public"


def _control(f: Filter):
    cid = {"type": "filter", "name": f.name}
    options = [{"label": o.label, "value": o.value} for o in f.options]
    if f.kind == "radio":
        control = dcc.RadioItems(id=cid, options=options, value=f.value, inline=True, className="radios")
    else:
        control = dcc.Dropdown(
            id=cid, options=options, value=f.value, multi=f.kind == "multi", clearable=f.kind == "multi",
            searchable=True, placeholder="Type to search…", className="dropdown",
        )  # fmt: skip
    return html.Fieldset(
        [html.Legend(f.label), control, *([html.P(f.help, className="hint")] if f.help else [])],
        className=f"filter filter-{f.kind}",
        id=f"filter-{f.name}",
    )


def create_app(settings_factory=get_settings) -> Dash:
    releases = Releases(settings_factory)
    pageset = PageSet(lambda: settings_factory().dashboards_pages_dir)
    app = Dash(
        __name__,
        title="Levelling Up dashboards",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        update_title=None,
        index_string=INDEX_STRING,
        serve_locally=True,
        compress=False,
        meta_tags=[
            {"name": "description", "content": "Levelling Up data platform: dashboards over the release"}
        ],
    )
    app.enable_dev_tools(
        debug=False, dev_tools_ui=False, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
    )
    app._levelup_releases = releases  # noqa: SLF001 - for the server's start-up message and the tests
    app._levelup_pages = pageset  # noqa: SLF001

    app.layout = html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            html.A("Skip to main content", href="#main", className="skip-link"),
            html.Header(
                [
                    html.Div(
                        [
                            dcc.Link("Levelling Up dashboards", href="/", className="brand"),
                            html.Span(id="release-badge", className="release-badge"),
                        ],
                        className="header-top",
                    ),  # fmt: skip
                    html.Nav(id="site-nav", className="site-nav", **{"aria-label": "Dashboards"}),
                ],
                className="site-header",
            ),
            html.Main(
                [html.Div(id="page-head"), html.Div(id="page-body", **{"aria-live": "polite"})],
                id="main",
                tabIndex="-1",
            ),
            dcc.Store(id="page-meta"),
            html.Div(id="title-sink", hidden=True),
            html.Footer(
                html.P(
                    "Source: Office for National Statistics and the publishers named per indicator, licensed under "
                    "the Open Government Licence v3.0. Contains public sector information licensed under the Open "
                    "Government Licence v3.0."
                ),
                className="site-footer",
            ),
        ],
        className="shell",
    )

    def nav(role: str, release: str | None, current: str) -> list:
        items = [("/", "Home")] + [(p.path, p.title) for p in pageset.builtin]
        q = "?" + urlencode({"release": release}) if release else ""
        links = []
        for path, label in items:
            attrs = {"aria-current": "page"} if path == current else {}
            links.append(html.Li(html.A(label, href=path + q, **attrs)))
        if role == "cleared":
            links.append(html.Li(html.A("Sign out (cleared)", href="/logout")))
        else:
            links.append(html.Li(html.A("Sign in", href="/login")))
        return [html.Ul(links)]

    def badge(data, release_param) -> list:
        state = "current release" if not release_param else "retained release (not current)"
        return [f"Release {data.release_id} · {state}"]

    def page_for(pathname: str) -> Page | None:
        return pageset.by_path(urlsplit(pathname or "/").path)

    @app.callback(
        Output("site-nav", "children"),
        Output("release-badge", "children"),
        Output("page-head", "children"),
        Output("page-meta", "data"),
        Input("url", "pathname"),
        State("url", "search"),
    )
    def route(pathname, search):
        params = _params(search)
        release = (params.get("release") or [None])[0]
        role = request_role()
        page = page_for(pathname)
        if page is None:
            return nav(role, release, ""), "", [html.H1("Page not found", id="page-title"),
                                                 html.P(f"No dashboard at {pathname}."),
                                                 html.A("All dashboards", href="/")], None  # fmt: skip
        try:
            data = releases.get(release, cleared=page.access == "cleared" and role == "cleared")
        except ReleaseNotFound as exc:
            return (
                nav(role, None, page.path),
                "",
                [html.H1(page.title, id="page-title"), html.P(str(exc), className="warning")],
                None,
            )
        meta = {"page": page.id, "path": page.path, "release": release}
        head = [html.H1(page.title, id="page-title")]
        if page.description:
            head.append(html.P(page.description, className="lede"))
        if page.access == "cleared" and role != "cleared":
            head.append(
                html.P(
                    [
                        "This page shows restricted (cleared) data: it needs the cleared role. ",
                        html.A("Sign in", href="/login?" + urlencode({"next": page.path})),
                    ],
                    className="warning",
                    role="status",
                )  # fmt: skip
            )
            return nav(role, release, page.path), badge(data, release), head, {**meta, "denied": True}
        missing = sorted(page.reads - data.tables)
        if missing:
            head.append(
                html.P(
                    f"This release has no {', '.join(missing)}: the page cannot be shown.",
                    className="warning",
                )
            )
            return nav(role, release, page.path), badge(data, release), head, {**meta, "denied": True}
        try:
            with data.connect() as con:
                ctx = PageContext(data, con, role, release)
                filters = page.filters(ctx)
        except PageError as exc:
            head.append(html.P(str(exc), className="warning", role="alert"))
            return nav(role, release, page.path), badge(data, release), head, {**meta, "denied": True}
        notices = []
        for f in filters:
            f.value, notice = f.resolve(params.get(f.name))
            if notice:
                notices.append(notice)
        if filters:
            head.append(
                html.Form(
                    [html.H2("Filters", className="visually-hidden"), *[_control(f) for f in filters]],
                    className="filters",
                    role="search",
                    **{"aria-label": f"{page.title} filters"},
                )
            )
        head += [html.P(n, className="warning", role="status") for n in notices]
        return nav(role, release, page.path), badge(data, release), head, meta

    def ready(page_id: str | None, state: str, query: str = "") -> html.Span:
        """The last element of every rendered page body (with the query it shows): tests wait for it."""
        return html.Span(
            id="page-ready",
            hidden=True,
            **{"data-page": page_id or "", "data-state": state, "data-query": query},
        )

    @app.callback(
        Output("page-body", "children"),
        Output("url", "search"),
        Output("title-sink", "children"),
        Output("page-title", "children"),
        Input("page-meta", "data"),
        Input({"type": "filter", "name": ALL}, "value"),
        State({"type": "filter", "name": ALL}, "id"),
        State("url", "search"),
    )
    def content(meta, values, ids, search):
        if not meta or meta.get("denied"):
            return [ready((meta or {}).get("page"), "denied")], no_update, "", no_update
        page = pageset.by_id(meta["page"])
        if page is None:
            return (
                [html.P("This page no longer exists.", className="warning"), ready(None, "gone")],
                no_update,
                "",
                no_update,
            )
        role = request_role()
        if page.access == "cleared" and role != "cleared":
            return [ready(page.id, "denied")], no_update, "", no_update
        release = meta.get("release")
        chosen = {i["name"]: v for i, v in zip(ids, values, strict=True)}
        try:
            data = releases.get(release, cleared=page.access == "cleared")
            with data.connect() as con:
                ctx = PageContext(data, con, role, release)
                resolved = {}
                for f in page.filters(ctx):
                    v = chosen.get(f.name, f.value)
                    resolved[f.name], _ = f.resolve(v if isinstance(v, list) else [v] if v else None)
                blocks = page.content(ctx, resolved)
                title = page.title_for(ctx, resolved)
        except (PageError, ReleaseNotFound) as exc:
            return (
                [html.P(str(exc), className="warning", role="alert"), ready(page.id, "error")],
                no_update,
                page.title,
                no_update,
            )
        except Exception:  # noqa: BLE001 - shown as a message, logged with the traceback
            log.exception("page %s failed", page.id)
            return [html.P(f"Page {page.id!r} failed on this release; see the server log.", className="warning",
                           role="alert"), ready(page.id, "error")], no_update, page.title, no_update  # fmt: skip
        query = _query(resolved, release)

        def csv_href(key: str) -> str:
            return f"/download/{page.id}/{key}.csv{query}"

        body = [*to_dash(blocks, csv_href), ready(page.id, "ready", query)]
        return body, (query if query != (search or "") else no_update), title, title

    app.clientside_callback(
        "function(t){ if (t) { document.title = t + ' | Levelling Up dashboards'; } return ''; }",
        Output("title-sink", "title"),
        Input("title-sink", "children"),
    )

    server = app.server

    @server.route("/download/<page_id>/<key>.csv")
    def download(page_id: str, key: str):
        page = pageset.by_id(page_id)
        if page is None:
            flask.abort(404, f"no dashboard page {page_id!r}")
        role = request_role()
        if page.access == "cleared" and role != "cleared":
            flask.abort(403, "this page needs the cleared role")
        params = {k: flask.request.args.getlist(k) for k in flask.request.args}
        release = (params.get("release") or [None])[0]
        try:
            data = releases.get(release, cleared=page.access == "cleared")
        except ReleaseNotFound as exc:
            flask.abort(404, str(exc))
        with data.connect() as con:
            ctx = PageContext(data, con, role, release)
            values = {}
            for f in page.filters(ctx):
                values[f.name], _ = f.resolve(params.get(f.name))
            try:
                tables = downloadable(page.content(ctx, values))
            except PageError as exc:
                flask.abort(400, str(exc))
        table = tables.get(key)
        if table is None:
            flask.abort(
                404, f"page {page_id!r} shows no table {key!r} for these filters (tables: {sorted(tables)})"
            )
        body = table.csv_frame().to_csv(index=False, date_format="%Y-%m-%d")
        return flask.Response(
            body,
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{page_id}-{key}-{data.release_id}.csv"',
                "X-Levelup-Release": data.release_id,
            },
        )

    @server.route("/healthz")
    def healthz():
        try:
            data = releases.get(None)
            release = data.release_id
        except ReleaseNotFound as exc:
            return flask.jsonify({"ok": False, "error": str(exc)}), 503
        return flask.jsonify({"ok": True, "release_id": release, "pages": [p.id for p in pageset.pages()]})

    @server.route("/login", methods=["GET", "POST"])
    def login():
        nxt = flask.request.values.get("next") or "/"
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = "/"
        error = ""
        if flask.request.method == "POST":
            token = (flask.request.form.get("token") or "").strip()
            role = auth.role_for(token, settings_factory().dashboards_tokens_file)
            if role == "cleared":
                resp = flask.redirect(nxt, code=303)
                resp.set_cookie(auth.COOKIE, token, httponly=True, samesite="Strict", path="/")
                return resp
            error = '<p class="warning" role="alert">That token does not have the cleared role.</p>'
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in | Levelling Up dashboards'
            '</title><link rel="stylesheet" href="/assets/dashboards.css"></head><body><main id="main" class="login">'
            "<h1>Sign in for restricted dashboards</h1><p>Open dashboards need no sign-in. Pages over the cleared "
            "release need a token with the cleared role (ask the restricted data steward).</p>"
            f'{error}<form method="post" action="/login"><input type="hidden" name="next" value="{html_escape(nxt)}">'
            '<label for="token">Token</label><input id="token" name="token" type="password" autocomplete="off" '
            'required><button type="submit">Sign in</button></form><p><a href="/">Back to the dashboards</a></p>'
            "</main></body></html>"
        )
        return flask.Response(page, status=401 if error else 200, mimetype="text/html")

    @server.route("/logout")
    def logout():
        resp = flask.redirect("/", code=303)
        resp.delete_cookie(auth.COOKIE, path="/")
        return resp

    script_hashes = " ".join(app.csp_hashes())  # each already quoted: 'sha256-...'
    csp = (
        "default-src 'self'; "
        f"script-src 'self' {script_hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    @server.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = csp
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if flask.request.path.startswith(("/download/", "/_dash-update-component")):
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return app


def html_escape(s: str) -> str:
    import html as _html

    return _html.escape(s, quote=True)
