"""The Luchtmeetnet API (api.luchtmeetnet.nl/open_api): hourly measurements per station and
formula, paginated (`{"pagination": {"last_page": …}, "data": [...]}`), at most a week per
request. Written as the wide CSV the measurement loader reads — `begin` (ISO 8601, UTC) and
one column per station — one file per component, named by `source.path` (gzip when the
name ends in .gz, as RIVM's bulk files).

`timestamp_measured` is taken as the END of the measured hour (as Luchtmeetnet labels its
hourly values), so `begin` is one hour earlier. A year is a year of local standard time
(UTC+1), as `portal compute` counts it. `years` lists calendar years or says `{last: N}`:
this year and the N − 1 before it (what a scheduled update asks for). The hours of other
years already in the file (shipped bulk exports, earlier retrievals) are kept as they were,
so the file grows year by year. Annual means, data capture (EU rule: 90 %) and exceedances
are computed by `portal compute` from these hours, as for the bulk files.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from portal.fetch.connectors.base import Connector, FetchError, Outcome
from portal.fetch.store import FetchedFile, FetchRecord

WEEK = timedelta(days=7)
STANDARD_TIME = timezone(timedelta(hours=1))  # the measurement loader's UTC+1
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)


class Luchtmeetnet(Connector):
    name = "luchtmeetnet"

    def years(self) -> list[int]:
        spec = self.spec["years"]
        if isinstance(spec, dict):
            this_year = datetime.now(STANDARD_TIME).year
            return list(range(this_year - int(spec["last"]) + 1, this_year + 1))
        return [int(y) for y in spec]

    def _windows(self, year: int):
        start = datetime(year, 1, 1, tzinfo=STANDARD_TIME).astimezone(UTC)
        end = min(datetime(year + 1, 1, 1, tzinfo=STANDARD_TIME).astimezone(UTC),
                  datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
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
        stations, years = list(self.spec["stations"]), self.years()
        time_col = self.m.load.get("time", "begin")
        record = FetchRecord(self.m.id, "", self.name)
        changed = False
        for formula in self.spec["components"]:
            columns = {s: self._hours(s, formula, years, progress) for s in stations}
            name = Path(self.m.source["path"].replace("{component}", formula)).name
            header, rows = _other_years(dest / name, time_col, set(years))
            header += [s for s in stations if s not in header]
            for h in sorted(set().union(*columns.values())):
                rows.append((h, {time_col: _z(h), **{
                    s: repr(v) for s in stations if (v := columns[s].get(h)) is not None}}))
            rows.sort(key=lambda r: r[0])
            with _text_out(dest / name) as f:
                w = csv.writer(f)
                w.writerow(header)
                for _, row in rows:
                    w.writerow([row.get(c, "") for c in header])
            digest = hashlib.sha256((dest / name).read_bytes()).hexdigest()
            before = previous.files.get(name) if previous else None
            changed |= before is None or before.sha256 != digest
            record.files[name] = FetchedFile(url=self.spec["url"], sha256=digest,
                                             bytes=(dest / name).stat().st_size)
        return Outcome(changed, record)


def _other_years(path: Path, time_col: str, years: set[int]) -> tuple[list[str], list]:
    """The header and the rows (as they are, with their UTC begin) of the file already in
    the retrieval whose hour lies outside `years`; none when there is no such file."""
    if not path.is_file():
        return [time_col], []
    import pandas as pd

    from portal.ingest.wide import hour_starts

    with (gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz"
          else path.open(encoding="utf-8", newline="")) as f:
        reader = csv.DictReader(f)
        header, rows = list(reader.fieldnames or [time_col]), list(reader)
    starts = hour_starts(pd.Series([r.get(time_col) for r in rows], dtype="string"))
    keep = []
    for row, start in zip(rows, starts, strict=True):
        # an unreadable hour stays, first, for ingest to quarantine with its reason
        begin = EARLIEST if pd.isna(start) else start.to_pydatetime()
        if pd.isna(start) or begin.astimezone(STANDARD_TIME).year not in years:
            keep.append((begin, {k: v for k, v in row.items() if v not in (None, "")}))
    return header, keep


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
