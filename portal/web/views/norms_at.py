"""`/api/norms-at?x=…&y=…[&date=…]`: every norm in force at a point on a date, each with
whether it applies there and why. On the permit officer's hot path: async, one query per
request (the zones at the point); the city-wide norms of a date are looked up and
serialised once per data version."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.web import location, zones


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def routes(state) -> list[Route]:
    by_day: dict[tuple, tuple[set[str], list[tuple[tuple, str]]]] = {}

    async def in_force(day) -> tuple[set[str], list[tuple[tuple, str]]]:
        """(IRIs in force on `day`, the city-wide norms' JSON), per data version."""
        key = (state.version.current.number, day)
        found = by_day.get(key)
        if found is None:
            async with state.apool.connection() as conn:
                cur = await conn.execute(zones.IN_FORCE_SQL, (day,))
                valid = {r[0] for r in await cur.fetchall()}
            entries = zones.city_wide(state.vocab.zone_norms, valid, state.messages)
            for e in entries:
                e["iri"] = state.iri(e["iri"])
            if len(by_day) > 256:
                by_day.clear()
            found = by_day[key] = (valid, [(zones.sort_key(e), _json(e)) for e in entries])
        return found

    async def norms_at(request: Request) -> Response:
        point = location.parse_params(request.query_params)
        day = zones.parse_date(request.query_params.get("date"))
        vocab = state.vocab.zone_norms
        valid, city_wide = await in_force(day)
        query, params = zones.zones_query(vocab, point, day)
        async with state.apool.connection() as conn:
            cur = await conn.execute(query, params, prepare=True)
            rows = await cur.fetchall()
        local = zones.judge_zones(vocab, zones.zones_found(rows), valid, day, state.messages)
        for e in local:
            e["iri"] = state.iri(e["iri"])
            for z in e["zones"]:
                z["iri"] = state.iri(z["iri"])
        found = sorted(city_wide + [(zones.sort_key(e), _json(e)) for e in local])
        head = _json({"point": {"x": point.x, "y": point.y, "crs": f"EPSG:{point.crs}"},
                      "date": day.isoformat()})
        tail = _json(state.urls.to("/api/norms-at", **point.params(), date=day.isoformat()))
        body = f'{head[:-1]},"norms":[{",".join(f for _, f in found)}],"self":{tail}}}'
        return Response(body, media_type="application/json")

    return [Route("/api/norms-at", norms_at)]
