"""Metadata that plain-text articles carry in the text itself.

News copy marks its origin with a few conventions that are not article text:

* a leading header ``date 2024-05-17`` (the body may follow on the same line);
* a leading byline on its own line: ``By Jane Doe``;
* a leading wire dateline: ``WASHINGTON (Reuters) -``, ``(AP) —``;
* trailing credits: ``///Akorda (…), 16 May 2024``, ``— AP``, ``Source: …``,
  ``(Reporting by …; Editing by …)``.

:func:`extract_metadata` finds them, reads a date and a source from them, and
returns body bounds that keep them out of the compared text. The text itself is
never changed, so the bounds are offsets into it. Every rule is anchored at the
start or end of the text and only looks at a short window there, so article
text in the middle is never touched; a leading or trailing rule applies only
when words remain after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import regex

from copytrace.text import strip_span

# Leading and trailing rules only look this far into the text.
_WINDOW = 400

_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_DATE_FORMS = (
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})",  # 2024-05-16
    rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}",  # 16 May 2024
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # May 16, 2024
)
_DATE = regex.compile(
    r"(?<![\p{L}\p{N}])(?:" + "|".join(_DATE_FORMS) + r")(?![\p{L}\p{N}])",
    regex.IGNORECASE,
)
_DATE_AT_END = regex.compile(r"[,;]?\s*(?:" + _DATE.pattern + r")\s*\Z", regex.IGNORECASE)

# A short proper name: up to five capitalised words ("AP", "Agence France-Presse").
_NAME = r"[\p{Lu}][\p{L}\p{N}&.'’-]*(?:[ /][\p{Lu}&][\p{L}\p{N}&.'’-]*){0,4}"
_DASH = r"[-–—]{1,2}"

_HEADER = regex.compile(
    r"\s*date[ \t]*:?[ \t]+(?P<date>\S+(?:[ \t]+\S+,?){0,2})", regex.IGNORECASE
)
_BYLINE = regex.compile(
    rf"\s*By[ \t]+{_NAME}(?:,?[ \t]+(?:and|&)[ \t]+{_NAME})*(?:,[ \t]*{_NAME})?[ \t]*\r?\n"
)
_DATELINE = regex.compile(
    r"\s*(?P<place>\p{Lu}[\p{Lu}\p{M}.'’-]+(?:[ \t]+\p{Lu}[\p{Lu}\p{M}.'’-]+)*"
    r"(?:,[^()\n]{1,60}?)?[ \t]+)?"
    r"\((?P<source>[\p{L}][\p{L}\p{N}&.'’ /-]{0,40})\)"
    rf"[ \t]*{_DASH}[ \t]*"
)
# "... he said. — AP" or "— AP" on its own line, optionally with a date.
_DASH_CREDIT = regex.compile(
    rf"(?:(?<=[.!?\"”»’)])[ \t]+|\n[ \t]*){_DASH}[ \t]*"
    rf"(?P<credit>{_NAME}(?:,[ \t]*(?i:{_DATE.pattern}))?)\s*\Z"
)
_TRAILING_RULES = (
    # ///Akorda (official website of President of Kazakhstan), 16 May 2024
    regex.compile(r"(?<=\s)///[ \t]*(?P<credit>[^\n/][^\n]{0,200}?)\s*\Z"),
    # Source: Ministry of Health
    regex.compile(r"\n[ \t]*Source[ \t]*:[ \t]*(?P<credit>[^\n]{1,200}?)\s*\Z", regex.I),
    _DASH_CREDIT,
    # (Reporting by Jane Doe; Editing by John Smith)
    regex.compile(
        r"(?<=\s)(?P<credit>\((?:Additional )?(?:Reporting|Writing|Editing)\b[^()\n]{0,300}\))\s*\Z",
        regex.IGNORECASE,
    ),
)
# A line that starts with a dash: the last item of a list, not a credit.
_BULLET_BEFORE = regex.compile(rf"(?:\A|\n)[ \t]*{_DASH}[^\n]*\s*\Z")
_WORD = regex.compile(r"[\p{L}\p{N}]")


@dataclass(frozen=True)
class TextMetadata:
    """What :func:`extract_metadata` found; ``body_start``/``body_end`` are offsets into the text."""

    date: dt.date | None
    source: str | None
    credit: str | None
    body_start: int
    body_end: int


def parse_date(value: str) -> dt.date | None:
    """Read a whole string as a date: ``2024-05-16``, ``16 May 2024``, ``May 16, 2024``.

    ISO date-times (``2024-05-16T09:30:00Z``) give their date. Returns ``None``
    when the string is not one of these forms or names no real day.
    """
    value = value.strip()
    match = _DATE.fullmatch(value)
    if match:
        return _date_from_match(match)
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


def extract_metadata(text: str) -> TextMetadata:
    """Find the date header, byline, dateline and trailing credits of a plain-text article."""
    start, end = strip_span(text, 0, len(text))
    date, credits, sources = None, [], []

    header = _HEADER.match(text, start, min(end, start + _WINDOW))
    if header and (header_date := _leading_date(header.group("date"))):
        date, header_length = header_date
        start, end = strip_span(text, header.start("date") + header_length, end)

    byline = _BYLINE.match(text, start, min(end, start + _WINDOW))
    if byline and _has_words(text, byline.end(), end):
        credits.append(text[start : byline.end()].strip())
        start, end = strip_span(text, byline.end(), end)

    dateline = _DATELINE.match(text, start, min(end, start + _WINDOW))
    if dateline and _has_words(text, dateline.end(), end):
        credits.append(text[start : dateline.end()].strip())
        sources.append(dateline.group("source").strip())
        found = _DATE.search(dateline.group("place") or "")
        date = date or (_date_from_match(found) if found else None)
        start, end = strip_span(text, dateline.end(), end)

    trailing: list[str] = []
    while credit := _trailing_credit(text, start, end):
        credit_start, credit_text = credit
        trailing.insert(0, credit_text)
        start, end = strip_span(text, start, credit_start)
    for credit_text in trailing:
        source, credit_date = _split_credit(credit_text)
        credits.append(credit_text)
        sources.append(source)
        date = date or credit_date

    return TextMetadata(
        date=date,
        source=next((source for source in sources if source), None),
        credit=" | ".join(credits) or None,
        body_start=start,
        body_end=end,
    )


def _trailing_credit(text: str, start: int, end: int) -> tuple[int, str] | None:
    """The start offset and text of the last credit in ``text[start:end]``, if any."""
    window_start = max(start, end - _WINDOW)
    for rule in _TRAILING_RULES:
        match = rule.search(text, window_start, end)
        if not match or not _has_words(text, start, match.start()):
            continue
        if rule is _DASH_CREDIT and _BULLET_BEFORE.search(text, window_start, match.start()):
            continue
        return match.start(), match.group("credit").strip()
    return None


def _split_credit(credit: str) -> tuple[str | None, dt.date | None]:
    """``"Akorda (…), 16 May 2024"`` → source ``"Akorda (…)"`` and the date."""
    inner = credit[1:-1] if credit.startswith("(") else credit
    if regex.match(r"(?:Additional )?(?:Reporting|Writing|Editing)\b", inner, regex.I):
        return None, None  # people, not a source
    match = _DATE_AT_END.search(credit)
    if not match:
        return credit, None
    source = credit[: match.start()].strip(" ,;")
    return source or None, _date_from_match(match)


def _leading_date(candidate: str) -> tuple[dt.date, int] | None:
    """The date at the start of ``candidate`` and its length, if one is there."""
    match = _DATE.match(candidate)
    if not match or not (date := _date_from_match(match)):
        return None
    return date, match.end()


def _date_from_match(match: regex.Match) -> dt.date | None:
    month = match.group("month")
    month_number = int(month) if month.isdigit() else _MONTH_NUMBERS[month.casefold()]
    try:
        return dt.date(int(match.group("year")), month_number, int(match.group("day")))
    except ValueError:  # 2024-02-31 and the like
        return None


def _has_words(text: str, start: int, end: int) -> bool:
    return _WORD.search(text, start, end) is not None
