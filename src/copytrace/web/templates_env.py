"""The Jinja2 environment of every HTML page and of ``compare --html``: one set of
templates, autoescaped, loaded from the package."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from copytrace.web.filters import FILTERS

ENVIRONMENT = Environment(
    loader=PackageLoader("copytrace.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(FILTERS)
