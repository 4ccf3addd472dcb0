"""CSV downloads of the dashboard: `/dashboard.csv` (area values, statuses, norms) and
`/dashboard/goals.csv` (goal progress per area, the city first). The rows are those of the
read model, as the dashboard and the OGC API show them; the demo flag is a column."""

from __future__ import annotations

import csv
import io

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.web import readmodel
from portal.web.views.dashboard import filters

VALUE_FIELDS = ["area_code", "area_name", "level", "indicator", "label_nl", "label_en",
                "theme_nl", "theme_en", "year", "value", "unit", "status", "governing_norm",
                "margin", "source", "source_kind", "demo"]
GOAL_FIELDS = ["area_code", "area_name", "level", "goal_iri", "goal_label_nl", "goal_label_en",
               "indicator", "unit", "comparator", "target_value", "target_year", "last_year",
               "last_value", "projected_value", "status", "source_kind", "demo"]


def _csv(rows: list[dict], fields: list[str], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def routes(state) -> list[Route]:
    def values_csv(request: Request) -> Response:
        f = filters(state, request)
        rows = state.query(readmodel.EXPORT_SQL, {
            "level": f.level, "year": f.year, "indicators": [i["code"] for i in f.indicators]})
        return _csv(rows, VALUE_FIELDS, "omgevingsmonitor-dashboard.csv")

    def goals_csv(request: Request) -> Response:
        f = filters(state, request)
        rows = state.query(readmodel.GOALS_EXPORT_SQL, {"level": f.level,
                                                        "city": state.settings.city.code})
        return _csv(rows, GOAL_FIELDS, "omgevingsmonitor-doelen.csv")

    return [Route("/dashboard.csv", values_csv), Route("/dashboard/goals.csv", goals_csv)]
