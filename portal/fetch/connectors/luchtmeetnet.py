"""The Luchtmeetnet API (api.luchtmeetnet.nl/open_api): hourly measurements per station and
formula, paginated (`{"pagination": {"last_page": …}, "data": [...]}`), at most a week per
request. Written as the wide CSV the measurement loader reads — `begin` (ISO 8601, UTC) and
one column per station — one file per component, named by `source.path` (gzip when the
name ends in .gz, as RIVM's bulk files).

`timestamp_measured` is taken as the END of the measured hour (as Luchtmeetnet labels its
hourly values), so `begin` is one hour earlier. Annual means, data capture (EU rule: 90 %)
and exceedances are computed by `portal compute` from these hours, as for the bulk files.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from portal.fetch.connectors.base import Connector, FetchError, Outcome
from portal.fetch.store import FetchedFile, FetchRecord

WEEK = timedelta(days=7)


class Luchtmeetnet(Connector):
    name = "luchtmeetnet"

    def _windows(self, year: int):
        start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        while start < end:
            stop = min(start + WEEK, end)
            yield start, stop
            start = stop

    def _hours(self, station: str, formula: str, years: list[int], progress) -> dict:
        base = self.spec["url"].rstrip("/") + "/measurements"
        out: dict[datetime, float] = {}
        for year in years:
            for start, stop in self._windows(year):
                page, last = 1, 1
                while page <= last:
                    # end-labelled hours: the hour that begins at `start` ends an hour later
                    params = {"station_number": station, "formula": formula,
                              "start": _z(start + timedelta(hours=1)), "end": _z(stop),
                              "page": page, "order_by": "timestamp_measured",
                              "order_direction": "asc"}
                    doc = self.get_json(base, params)
                    data, pagination = self._page(doc, base)
                    last = int(pagination.get("last_page") or 1)
                    for d in data:
                        end_at = datetime.fromisoformat(str(d["timestamp_measured"]))
                        if d.get("value") is not None:
                            out[end_at.astimezone(UTC) - timedelta(hours=1)] = float(d["value"])
                    progress(len(data))
                    page += 1
        return out

    def _page(self, doc, url: str) -> tuple[list, dict]:
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, list) or not all(
                isinstance(d, dict) and "timestamp_measured" in d for d in data):
            raise FetchError(self.m, url, "not a Luchtmeetnet measurements answer "
                             "(expected {pagination, data: [{timestamp_measured, value}]})")
        return data, doc.get("pagination") or {}

    def fetch(self, dest: Path, previous: FetchRecord | None, progress) -> Outcome:
        stations, years = list(self.spec["stations"]), list(self.spec["years"])
        record = FetchRecord(self.m.id, "", self.name)
        changed = False
        for formula in self.spec["components"]:
            columns = {s: self._hours(s, formula, years, progress) for s in stations}
            hours = sorted(set().union(*columns.values()))
            name = Path(self.m.source["path"].replace("{component}", formula)).name
            with _text_out(dest / name) as f:
                w = csv.writer(f)
                w.writerow(["begin", *stations])
                for h in hours:
                    w.writerow([_z(h),
                                *(("" if (v := columns[s].get(h)) is None else repr(v))
                                  for s in stations)])
            digest = hashlib.sha256((dest / name).read_bytes()).hexdigest()
            before = previous.files.get(name) if previous else None
            changed |= before is None or before.sha256 != digest
            record.files[name] = FetchedFile(url=self.spec["url"], sha256=digest,
                                             bytes=(dest / name).stat().st_size)
        return Outcome(changed, record)


@contextlib.contextmanager
def _text_out(path: Path):
    """Text into `path`, gzip when it ends in .gz (as RIVM's bulk files), byte-identical
    for the same content (no time stamp in the gzip header): unchanged stays unchanged."""
    if path.suffix != ".gz":
        with path.open("w", newline="", encoding="utf-8") as f:
            yield f
        return
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                               mtime=0) as gz, \
            io.TextIOWrapper(gz, encoding="utf-8", newline="") as f:
        yield f


def _z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
