"""`/beheer`: for data stewards — every dataset's current version (rows read, loaded,
quarantined), the first quarantined rows with their reasons, and the latest reads of
restricted datasets. Restricted in config/roles.yml (`pages`); the access gate enforces it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from portal.auth.policy import ANONYMOUS
from portal.web.views.common import lang_of

VERSIONS_SQL = """
SELECT dataset, version, loaded_at, rows_read, rows_loaded, rows_repaired, rows_rejected,
       demo, value_kind, code_version
FROM monitor.dataset_version WHERE is_current ORDER BY dataset
"""
QUARANTINE_SQL = """
SELECT dv.dataset, q.source_row, q.field, q.raw_value, q.reason
FROM monitor.quarantine q JOIN monitor.dataset_version dv ON dv.id = q.dataset_version_id
WHERE dv.is_current ORDER BY dv.dataset, q.source_row LIMIT 200
"""
ACCESS_SQL = """
SELECT at, account, via, dataset, method, path, status FROM auth.access_log
ORDER BY at DESC LIMIT 50
"""


def routes(state) -> list[Route]:
    def admin(request: Request) -> HTMLResponse:
        lang = lang_of(request)
        html = state.templates.render(
            lang, "admin.html", request, versions=state.query(VERSIONS_SQL),
            quarantine=state.query(QUARANTINE_SQL), reads=state.query(ACCESS_SQL),
            principal=request.scope.get("principal", ANONYMOUS), demo=False)
        return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})

    return [Route("/beheer", admin)]
