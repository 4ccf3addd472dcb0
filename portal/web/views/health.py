"""`/health`: the app answers and reaches its database for reads (503 with Retry-After if
not); with read replicas, whether each standby serves reads and why not."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def routes(state) -> list[Route]:
    async def health(request: Request) -> JSONResponse:
        async with state.apool.connection() as conn:
            await conn.execute("SELECT 1")
        body = {"status": "ok", "data_version": state.version.current.number}
        if state.replicas is not None:
            body["replicas"] = state.replicas.status()
        return JSONResponse(body)

    return [Route("/health", health)]
