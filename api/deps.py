"""Request dependencies: shared state, the live snapshot, the write key."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from api.settings import Settings, get_settings
from api.state import AppState
from indexer.store import Snapshot


def app_state(request: Request) -> AppState:
    return request.app.state.precedent


def snapshot(state: Annotated[AppState, Depends(app_state)]) -> Snapshot:
    return state.index.snapshot()


def require_key(
    settings: Annotated[Settings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header(description="Key for write endpoints.")] = None,
) -> None:
    if settings.api_key is None:
        raise HTTPException(403, "write endpoints are off: start the server with an API key")
    if not x_api_key:
        raise HTTPException(401, "missing X-API-Key header")
    if not secrets.compare_digest(x_api_key, settings.api_key.get_secret_value()):
        raise HTTPException(403, "wrong API key")


State = Annotated[AppState, Depends(app_state)]
Snap = Annotated[Snapshot, Depends(snapshot)]
