"""Rendering the platform's HTML pages: one Jinja environment, one stylesheet, Markdown through markdown-it.

Belongs here: `render(template, **context)` over publish/templates/ (autoescaped; every page extends
`base.html.j2`, which inlines `levelup.css`) and the `markdown` filter (markdown-it-py, CommonMark, raw HTML
off), for docs shipped inside a release such as docs/querying.md.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    return Markup(_markdown().render(text))


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("publish", "templates"),
        autoescape=select_autoescape(("html", "j2")),
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown_to_html
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
