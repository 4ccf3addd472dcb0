"""Sources with one column per station or per year, as RIVM and CBS publish them.

- `measurement`: hourly means, a row per hour and a column per station (Luchtmeetnet bulk
  exports); the file name names the component ({component} in source.path). An empty cell
  is an hour without a valid measurement, not a row; every value that is there is kept or
  quarantined with its reason (not a number, outside valid_range, unreadable time).
- `area_figure`: figures per area, a row per area and a column per figure and year (CBS key
  figures). CBS's codes for secret or unknown values (−99995 …) are quarantined as what they
  are, never loaded as numbers; an area code the monitor does not know is quarantined too.

Both return the same `Checked` as the vector checks, so ingest counts, quarantines and
loads them in one transaction like every other dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from portal.errors import UserError
from portal.ingest.manifest import Manifest
from portal.ingest.validate import Checked

# Luchtmeetnet exports: begin of the hour in local standard time (UTC+1) without an offset
# ('YYYYMMDD HH:MM', 2017–2022), or ISO 8601 with +01:00 (2023).
STANDARD_TIME = "Etc/GMT-1"
CBS_MISSING = {-99995: "geheim (CBS -99995)", -99996: "niet beschikbaar (CBS -99996)",
               -99997: "onbekend (CBS -99997)", -99998: "niet van toepassing (CBS -99998)",
               -99999: "onbekend (CBS -99999)"}
REJECTED_COLUMNS = ["_row", "field", "raw", "reason"]


class _Reasons:
    """The first reason a value fails wins."""

    def __init__(self, n: int):
        self.why = np.full(n, None, dtype=object)
        self.ok = np.ones(n, bool)

    def mark(self, mask, why: str) -> None:
        mask = np.asarray(mask, bool) & self.ok
        self.why[mask] = why
        self.ok &= ~mask


def _read(m: Manifest, path: Path) -> pd.DataFrame:
    src = m.source
    try:  # a .gz file is decompressed by Arrow itself
        table = pa_csv.read_csv(
            path, read_options=pa_csv.ReadOptions(encoding=src.get("encoding", "utf8")),
            parse_options=pa_csv.ParseOptions(delimiter=src.get("sep", ",")),
            convert_options=pa_csv.ConvertOptions(strings_can_be_null=True,
                                                  decimal_point=src.get("decimal", ".")))
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
        raise UserError(f"{path}: cannot read as CSV (damaged or truncated file?): "
                        f"{str(exc).splitlines()[0]}") from None
    return table.to_pandas()


def _need(m: Manifest, path: Path, df: pd.DataFrame, key: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(f"{m.path}: key '{key}': column {', '.join(map(repr, missing))} not in "
                        f"{path.name}; columns are {', '.join(map(str, df.columns))}")


def _numbers(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype(float)
    return pd.to_numeric(s.astype("string").str.strip().str.replace(",", ".", regex=False),
                         errors="coerce")


def hour_starts(text: pd.Series) -> pd.Series:
    """Begin of the hour as UTC timestamps; NaT where unreadable."""
    s = text.astype("string").str.strip()
    plain = s.str.fullmatch(r"\d{8} \d{2}:\d{2}").fillna(False)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    if plain.any():
        local = pd.to_datetime(s[plain], format="%Y%m%d %H:%M", errors="coerce")
        out[plain] = local.dt.tz_localize(STANDARD_TIME).dt.tz_convert("UTC")
    if (~plain).any():
        out[~plain] = pd.to_datetime(s[~plain], format="ISO8601", utc=True, errors="coerce")
    return out


def check_measurements(m: Manifest, path: Path) -> Checked:
    df = _read(m, path)
    component = m.component_of(path)
    time_col, stations = m.load["time"], list(m.load["stations"])
    _need(m, path, df, "load.time", [time_col])
    _need(m, path, df, "load.stations", stations)
    starts = hour_starts(df[time_col])
    lo, hi = m.load.get("valid_range") or (None, None)
    rows, rejected, read = [], [], 0
    line = np.arange(len(df)) + 2  # the header is line 1
    for station in stations:
        raw = df[station]
        present = raw.notna().to_numpy().copy()
        if raw.dtype == object:
            present &= raw.astype("string").str.strip().ne("").fillna(False).to_numpy()
        values = _numbers(raw).to_numpy(dtype=float)
        read += int(present.sum())
        bad_time = present & starts.isna().to_numpy()
        bad_number = present & ~bad_time & ~np.isfinite(values)
        with np.errstate(invalid="ignore"):
            outside = present & ~bad_time & ~bad_number & (
                ((values < lo) if lo is not None else False)
                | ((values > hi) if hi is not None else False))
        for mask, field, reason in (
                (bad_time, time_col, "not a readable time"),
                (bad_number, station, "not a valid number"),
                (outside, station, f"outside valid range {lo}–{hi}")):
            if mask.any():
                raw_text = (df[time_col] if field == time_col else raw)[mask].astype(str)
                rejected.append(pd.DataFrame({"_row": line[mask], "field": field,
                                              "raw": raw_text.to_numpy(), "reason": reason}))
        ok = present & ~bad_time & ~bad_number & ~outside
        rows.append(pd.DataFrame({"station_id": station, "component": component,
                                  "begin_at": starts[ok].to_numpy(), "value": values[ok],
                                  "_row": line[ok]}))
    kept = pd.concat(rows, ignore_index=True)
    dup = kept.duplicated(["station_id", "begin_at"], keep="first").to_numpy()
    if dup.any():
        extra = kept[dup]
        rejected.append(pd.DataFrame({"_row": extra["_row"], "field": time_col,
                                      "raw": extra["begin_at"].astype(str),
                                      "reason": "the same hour twice for a station"}))
        kept = kept[~dup]
    bad = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(
        columns=REJECTED_COLUMNS)
    return Checked(kept, bad, read, 0)


def check_area_figures(m: Manifest, path: Path, known_areas: set[str]) -> Checked:
    df = _read(m, path)
    code_col = m.load["area_code"]
    _need(m, path, df, "load.area_code", [code_col])
    codes = df[code_col].astype("string").str.strip()
    years = m.load["years"]
    line = np.arange(len(df)) + 2
    rows, rejected, read = [], [], 0
    for f in m.fields:
        for year in years:
            col = f.source.replace("{year}", str(year))
            _need(m, path, df, f"load.fields.{f.name}", [col])
            values = _numbers(df[col]).to_numpy(dtype=float)
            read += len(df)
            reasons = _Reasons(len(df))
            reasons.mark(df[col].isna().to_numpy(), "empty value")
            reasons.mark(~np.isfinite(values), f"not a valid {f.type}")
            for code, why in CBS_MISSING.items():
                reasons.mark(values == code, why)
            if f.type == "integer":
                reasons.mark(values % 1 != 0, "not a valid integer")
            lo, hi = f.range
            with np.errstate(invalid="ignore"):
                reasons.mark(((values < lo) if lo is not None else False)
                             | ((values > hi) if hi is not None else False),
                             f"outside valid range {lo}–{hi}")
            unknown = ~codes.isin(known_areas).fillna(False).to_numpy()
            reasons.mark(unknown, "unknown area code")
            ok = reasons.ok
            rows.append(pd.DataFrame({"area_code": codes[ok].to_numpy(), "year": year,
                                      "figure": f.name, "value": values[ok], "_row": line[ok]}))
            if (~ok).any():
                rejected.append(pd.DataFrame({
                    "_row": line[~ok], "field": col, "reason": reasons.why[~ok],
                    "raw": np.where(unknown[~ok], codes[~ok].astype(str),
                                    df[col][~ok].astype(str))}))
    kept = pd.concat(rows, ignore_index=True)
    dup = kept.duplicated(["area_code", "year", "figure"], keep="first").to_numpy()
    if dup.any():
        extra = kept[dup]
        rejected.append(pd.DataFrame({"_row": extra["_row"], "field": code_col,
                                      "raw": extra["area_code"], "reason": "duplicate area"}))
        kept = kept[~dup]
    bad = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(
        columns=REJECTED_COLUMNS)
    return Checked(kept, bad, read, 0)
