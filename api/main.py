"""The FastAPI application: builds the app, loads heavy things once, includes the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api import errors
from api.routes import compare, documents, evidence, health, organisations, search
from api.settings import Settings, get_settings
from api.state import AppState, LiveIndex
from indexer.embed import Embedder, load_embedder
from indexer.store import indexed_model

STATIC = Path(__file__).parent / "static"


def _model_for(settings: Settings) -> str | None:
    """The configured model, else the one the index was built with, else the default."""
    return settings.model or indexed_model(settings.index)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The app; ``embedder`` lets a caller that already holds the model share it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config = app.dependency_overrides.get(get_settings, get_settings)()
        model = embedder or load_embedder(_model_for(config))
        app.state.precedent = AppState(index=LiveIndex(config.index), embedder=model)
        yield

    app = FastAPI(
        title="Precedent",
        description="Evidence search over public-sector decisions. Every answer cites its source.",
        version="0.1.0",
        lifespan=lifespan,
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    errors.install(app)
    for module in (health, search, evidence, compare, documents, organisations):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def home() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
