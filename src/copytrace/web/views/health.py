"""``GET /health``: whether the server is up, and how much its store holds."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import copytrace

router = APIRouter()


@dataclass(frozen=True)
class Health:
    documents: int
    pairs: int
    stories: int

    def to_json(self) -> dict:
        """JSON form, schema ``copytrace.health/1``."""
        return {"schema": "copytrace.health/1", "status": "ok", "version": copytrace.__version__,
                "documents": self.documents, "pairs": self.pairs, "stories": self.stories}


@router.get("/health", tags=["archive"])
@router.get("/health.json", include_in_schema=False)
def health(request: Request) -> JSONResponse:
    """Status and counts of the store."""
    with request.app.state.service.reader() as store:
        [(documents, pairs, stories)] = store.connection.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM pairs), "
            "(SELECT count(DISTINCT story_id) FROM stories)"
        ).fetchall()
    return JSONResponse(Health(documents, pairs, stories).to_json())
