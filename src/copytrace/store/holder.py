"""Who holds a store. DuckDB lets one process write a database file; `copytrace serve`
holds its store for as long as it runs and leaves a note beside it
(``<db>.serve.json``: its process id and address), so that another command that
cannot open the store says which server has it and where to send articles instead."""

from __future__ import annotations

import json
import os
from pathlib import Path


def note_path(db: str | Path) -> Path:
    return Path(f"{db}.serve.json")


def write_note(db: str | Path, url: str) -> None:
    """Record that this process serves ``db`` at ``url``."""
    temporary = Path(f"{note_path(db)}.tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")
    os.replace(temporary, note_path(db))


def remove_note(db: str | Path) -> None:
    """Remove this process's note (another process's is left alone)."""
    note = _read(db)
    if note is not None and note.get("pid") == os.getpid():
        note_path(db).unlink(missing_ok=True)


def holder(db: str | Path) -> str | None:
    """``"copytrace serve (pid N) at URL"`` when a live server holds ``db``, else None."""
    note = _read(db)
    if note is None or not _alive(note.get("pid")):
        return None
    return f"copytrace serve (pid {note['pid']}) at {note.get('url')}"


def _read(db: str | Path) -> dict | None:
    try:
        note = json.loads(note_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note if isinstance(note, dict) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
