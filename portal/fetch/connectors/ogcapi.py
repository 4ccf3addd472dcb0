"""OGC API – Features (PDOK's CBS wijk- en buurtkaart and key figures, or any other):
read through GDAL's OAPIF driver (pyogrio), which follows the `next` links; written as the
file `source.path` names — CSV (attributes only, for figures per area) or GeoJSON /
GeoPackage (with geometry). `where` is an attribute filter GDAL sends to the server where it
can (e.g. "gemeentecode = 'GM0518'"). CBS's missing-value codes (−99995 …) are kept as they
come: the loader turns them into "no value" with the code's meaning as the reason
(portal/ingest/wide.py), never into a number.

`rename` maps a property to the column the loader reads (`aantal_inwoners: inwoners_2024`:
PDOK publishes one service per year); with `merge_on` (the area code) the fetched columns
replace or join those of the file already in the retrieval, so the years shipped or
fetched before stay.

OAPIF has no conditional requests: a retrieval whose file has the checksum of the current
one is "unchanged upstream" and makes no new version."""

from __future__ import annotations

import hashlib
from pathlib import Path

from portal.fetch.connectors.base import Connector, FetchError, Outcome
from portal.fetch.store import FetchedFile, FetchRecord


class OgcApiFeatures(Connector):
    name = "ogcapi"

    def fetch(self, dest: Path, previous: FetchRecord | None, progress) -> Outcome:
        import pyogrio
        from pyogrio.errors import DataLayerError, DataSourceError

        url, collection = self.spec["url"].rstrip("/"), self.spec["collection"]
        options = {"GDAL_HTTP_TIMEOUT": str(int(self.timeout)),
                   "GDAL_HTTP_MAX_RETRY": str(self.retries), "GDAL_HTTP_RETRY_DELAY": "0.5",
                   "GDAL_HTTP_USERAGENT": self.client.headers["User-Agent"]}
        pyogrio.set_gdal_config_options(options)
        try:
            df = pyogrio.read_dataframe(f"OAPIF:{url}", layer=collection,
                                        where=self.spec.get("where"),
                                        columns=self.spec.get("properties"))
        except (DataSourceError, DataLayerError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0][:300]
            raise FetchError(self.m, f"{url}/collections/{collection}",
                             f"the OGC API did not answer as expected ({reason})") from None
        finally:
            pyogrio.set_gdal_config_options({k: None for k in options})
        if df.empty:
            raise FetchError(self.m, f"{url}/collections/{collection}",
                             "no features (a filter that matches nothing, or an empty answer)")
        progress(len(df))
        df = df.rename(columns=self.spec.get("rename") or {})
        name = Path(self.m.source["path"]).name
        target = dest / name
        fmt = self.m.source["format"]
        if fmt == "csv":
            table = df.drop(columns="geometry", errors="ignore")
            if self.spec.get("merge_on"):
                table = self._merged(target, table)
            table.to_csv(target, index=False, sep=self.m.source.get("sep", ","))
        else:
            pyogrio.write_dataframe(df, target, driver={"geojson": "GeoJSON",
                                                        "gpkg": "GPKG"}[fmt])
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        before = previous.files.get(name) if previous else None
        record = FetchRecord(self.m.id, "", self.name, {name: FetchedFile(
            url=f"{url}/collections/{collection}", sha256=digest, bytes=target.stat().st_size)})
        return Outcome(before is None or before.sha256 != digest, record)

    def _merged(self, target: Path, fetched):
        """The file already in the retrieval with the fetched columns replaced or added,
        matched on `merge_on`; rows only one side has are kept."""
        import pandas as pd

        key, sep = self.spec["merge_on"], self.m.source.get("sep", ",")
        if key not in fetched.columns:
            raise FetchError(self.m, self.spec["url"], f"merge_on: no property {key!r} in the "
                             f"answer; properties are {', '.join(map(str, fetched.columns))}")
        if not target.is_file():
            return fetched
        have = pd.read_csv(target, sep=sep, dtype=str, keep_default_na=False)
        fetched = fetched.astype({c: "string" for c in fetched.columns}).set_index(key)
        merged = have.set_index(key)
        merged = merged.drop(columns=[c for c in fetched.columns if c in merged.columns])
        return merged.join(fetched, how="outer").reset_index()
