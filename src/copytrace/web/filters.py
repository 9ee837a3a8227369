"""Jinja2 filters that put data into URLs safely: a value from an article (an id, a
URL) never reaches an ``href`` without being quoted or its scheme checked."""

from __future__ import annotations

from urllib.parse import urlsplit

from copytrace.web.paths import path_segment

LINKABLE_SCHEMES = ("http", "https")


def external_url(value: str | None) -> str | None:
    """``value`` when it is an http(s) URL with a host, else None (so a
    ``javascript:`` or ``data:`` URL is shown as text, never linked)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme.lower() in LINKABLE_SCHEMES and parts.netloc else None


def percent(value: float | None, digits: int = 0) -> str:
    """A share (0-1) as a percentage; an en dash when unknown."""
    return "–" if value is None else f"{value * 100:.{digits}f}%"


FILTERS = {"path_segment": path_segment, "external_url": external_url, "percent": percent}
