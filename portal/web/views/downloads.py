"""Downloads: every dataset as a file, and the figures of one wijk or buurt.

- `/download/{dataset}.csv|.geojson|.gpkg` — vector datasets (portal/web/downloads.py);
- `/download/{dataset}.tif` (every year a band) and `/download/{dataset}/{year}.tif` — grids,
  Cloud-Optimised GeoTIFFs served with HTTP range requests (QGIS and GDAL `/vsicurl/`);
- `/gebied/{code}.csv` and `/gebied/{code}.pdf` — every indicator, year, status and norm of
  one area from the read model, as the area page shows them.

Who may download a restricted dataset is decided by the access gate (portal/auth/gate.py),
before this module is reached. At most DOWNLOAD_SLOTS dataset streams run at once; more get
503 with Retry-After rather than exhausting the database.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import date

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from portal.ingest.gridfiles import write_grid_files
from portal.vocabulary.catalogue import OWN_FIGURES_LICENSE
from portal.web import downloads, readmodel
from portal.web.errors import ApiError
from portal.web.i18n import N_
from portal.web.views.area import CBS_CODE
from portal.web.views.common import lang_of

DOWNLOAD_SLOTS = 4
AREA_FIELDS = ["area_code", "area_name", "level", "indicator", "label_nl", "label_en", "year",
               "value", "unit", "status", "governing_norm", "governing_norm_nl",
               "norm_threshold", "margin", "norms", "open_norms", "trend", "source",
               "source_kind", "dataset", "dataset_version", "demo", "license"]


class _Slots:
    def __init__(self, n: int):
        self._sem = threading.BoundedSemaphore(n)

    def hold(self, chunks) -> _Held:
        """`chunks` holding a slot until they are done, closed or dropped."""
        if not self._sem.acquire(blocking=False):
            raise ApiError(503, N_("Too many downloads at once: please try again in a few "
                                   "seconds."))
        return _Held(chunks, self._sem)


class _Held:
    """An iterator that gives its slot back exactly once: at its end, on close, or when
    garbage collected — also when the client left before the stream started (a generator's
    `finally` would never run then, and the slot would be lost)."""

    def __init__(self, chunks, sem: threading.BoundedSemaphore):
        self._chunks, self._sem, self._held = iter(chunks), sem, True

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._held:
            self._held = False
            self._sem.release()
            close = getattr(self._chunks, "close", None)
            if close:
                close()

    def __del__(self):
        self.close()


class Downloads:
    """The download endpoints of one app."""

    def __init__(self, state):
        self.state = state
        self.slots = _Slots(DOWNLOAD_SLOTS)

    def manifest(self, name: str):
        m = self.state.vocab.policy.manifests.get(name)
        if m is None:
            raise ApiError(404, N_("Not found: {path}"), path=f"/download/{name}")
        return m

    def current(self, m) -> downloads.Facts:
        with self.state.pool.connection() as conn:
            f = downloads.facts(conn, m)
        if f is None:
            raise ApiError(404, N_("Dataset {dataset} has not been loaded yet."), dataset=m.id)
        return f

    def grid_file(self, m, year: int | None) -> Response:
        with self.state.pool.connection() as conn:
            files = write_grid_files(conn, m)
        if files is None:
            raise ApiError(404, N_("Dataset {dataset} has not been loaded yet."), dataset=m.id)
        if year is not None and year not in files.years:
            raise ApiError(404, N_("Dataset {dataset} has no year {year}; it has {years}."),
                           dataset=m.id, year=year, years=", ".join(map(str, files.years)))
        path = files.all_years if year is None else files.year(year)
        name = f"{m.id}.tif" if year is None else f"{m.id}-{year}.tif"
        return FileResponse(path, media_type="image/tiff", filename=name,
                            headers={"Cache-Control": "public, max-age=3600"})

    def dataset(self, request: Request) -> Response:
        m = self.manifest(request.path_params["dataset"])
        fmt = request.path_params["fmt"]
        if m.target == "grid":
            if fmt != "tif":
                raise ApiError(404, N_("{dataset} is a grid: download it as .tif"),
                               dataset=m.id)
            return self.grid_file(m, None)
        if fmt not in downloads.VECTOR_FORMATS or m.published_table is None:
            raise ApiError(404, N_("{dataset} downloads as .csv, .geojson or .gpkg"),
                           dataset=m.id)
        f = self.current(m)
        name = f"{m.id}-v{f.version}.{fmt}"
        media = downloads.VECTOR_FORMATS[fmt]
        if fmt == "gpkg":
            return FileResponse(downloads.geopackage(self.state.db_url, m, f),
                                media_type=media, filename=name)
        chunks = (downloads.csv_chunks if fmt == "csv" else downloads.geojson_chunks)(
            self.state.db_url, m, f)
        return StreamingResponse(self.slots.hold(chunks), media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Link": f'<{m.source_url}>; rel="describedby"'})

    def grid_year(self, request: Request) -> Response:
        m = self.manifest(request.path_params["dataset"])
        if m.target != "grid":
            raise ApiError(404, N_("{dataset} downloads as .csv, .geojson or .gpkg"),
                           dataset=m.id)
        return self.grid_file(m, request.path_params["year"])

    def area_rows(self, request: Request) -> tuple[dict, list[dict]]:
        code = request.path_params["code"]
        area = self.state.query(readmodel.AREA_SQL, (code,)) if CBS_CODE.match(code) else []
        if not area:
            raise ApiError(404, N_("no wijk or buurt with code {code}"), code=code[:40])
        return area[0], self.state.query(readmodel.AREA_EXPORT_SQL, (code,))

    def area_csv(self, request: Request) -> Response:
        area, rows = self.area_rows(request)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=AREA_FIELDS, lineterminator="\n",
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "license": OWN_FIGURES_LICENSE} for r in rows)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="omgevingsmonitor-{area["code"]}.csv"'})

    def area_pdf(self, request: Request) -> Response:
        from weasyprint import HTML

        lang = lang_of(request)
        area, rows = self.area_rows(request)
        latest = {r["indicator"]: r for r in rows}  # ordered by year: the last one stays
        html = self.state.templates.render(
            lang, "area_report.html", request, area=area, rows=list(latest.values()),
            demo=any(r["demo"] for r in rows), today=date.today().isoformat(),
            license=OWN_FIGURES_LICENSE, version=self.state.version.current)
        pdf = HTML(string=html, base_url=str(request.base_url)).write_pdf()
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="omgevingsmonitor-{area["code"]}.pdf"'})


def routes(state) -> list[Route]:
    d = Downloads(state)
    return [Route("/download/{dataset}.{fmt}", d.dataset),
            Route("/download/{dataset}/{year:int}.tif", d.grid_year),
            Route("/gebied/{code}.csv", d.area_csv), Route("/gebied/{code}.pdf", d.area_pdf)]
