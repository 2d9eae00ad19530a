"""One error shape for every failure: RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from indexer.errors import (
    DocumentNotFoundError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidQueryError,
    ModelMismatchError,
    PrecedentError,
)
from indexer.records import LoadError

STATUS = {
    InvalidQueryError: 422,
    DocumentNotFoundError: 404,
    IndexNotFoundError: 503,
    IndexLockedError: 503,
    ModelMismatchError: 409,
}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid parameter",
    503: "Not ready",
}


def problem(status: int, detail: str, **extra: object) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(PrecedentError)
    async def _precedent(_: Request, exc: PrecedentError) -> JSONResponse:
        return problem(STATUS.get(type(exc), 400), str(exc))

    @app.exception_handler(LoadError)
    async def _load(_: Request, exc: LoadError) -> JSONResponse:
        return problem(400, f"{exc.path.name}: {exc.reason}")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "parameter": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0],
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return problem(422, detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))
