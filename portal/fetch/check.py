"""Is a fetched file whole and of its format? Checked before it becomes current, so a
malformed or truncated answer never reaches ingest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from pyogrio.errors import DataLayerError, DataSourceError
from rasterio.errors import RasterioIOError

from portal.errors import UserError
from portal.ingest.manifest import Manifest


def check_file(m: Manifest, path: Path, url: str) -> None:
    fmt = m.source["format"]
    try:
        if path.stat().st_size == 0:
            raise ValueError("the answer is empty")
        if fmt in ("geojson", "luchtmeetnet"):
            json.loads(path.read_bytes())
        elif fmt == "csv":
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rb") as f:
                f.read().decode(m.source.get("encoding") or "utf-8")
        elif fmt in ("geotiff", "asciigrid"):
            import rasterio

            with rasterio.open(path) as ds:
                ds.read(1)
        else:
            import pyogrio

            pyogrio.read_info(path)
    except (ValueError, OSError, EOFError, UnicodeDecodeError) as exc:
        raise UserError(f"{m.id}: {url}: the answer is not a whole {fmt} file ({exc}); the "
                        "previous version keeps serving") from None
    except (RasterioIOError, DataSourceError, DataLayerError) as exc:  # a damaged file
        raise UserError(f"{m.id}: {url}: the answer is not a readable {fmt} file ({exc}); "
                        "the previous version keeps serving") from None
