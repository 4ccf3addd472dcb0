"""Every link the portal hands out, built in one place with proper URL encoding.

The public URL (config/portal.yml `base_url`, or host and port) is the prefix; the
language is a query parameter, left out for Dutch, the default.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from portal.web.i18n import DEFAULT_LANGUAGE


class Urls:
    def __init__(self, public: str):
        self.public = public.rstrip("/")
        self.static = f"{self.public}/static"
        self.ogc = f"{self.public}/ogc"

    def to(self, path: str, lang: str | None = None, **params) -> str:
        """`path` (already a path of ours, segments quoted by `area`) with query params;
        None values are left out."""
        query = {k: v for k, v in params.items() if v is not None}
        if lang and lang != DEFAULT_LANGUAGE:
            query["lang"] = lang
        text = urlencode(query)
        return f"{self.public}{path}" + (f"?{text}" if text else "")

    def area(self, code: str, lang: str | None = None) -> str:
        return self.to(f"/gebied/{quote(code, safe='')}", lang)

    def area_download(self, code: str, fmt: str, lang: str | None = None) -> str:
        return self.to(f"/gebied/{quote(code, safe='')}.{fmt}", lang)

    def download(self, dataset: str, fmt: str, year: int | None = None) -> str:
        """A dataset's file: .csv/.geojson/.gpkg (vector) or .tif (grid, one year or all)."""
        name = f"{dataset}/{year}" if year is not None else dataset
        return self.to(f"/download/{quote(name, safe='/')}.{fmt}")

    def same_page(self, path: str, query: dict, lang: str) -> str:
        """This page in language `lang`, every other parameter kept."""
        rest = {k: v for k, v in query.items() if k != "lang"}
        return self.to(path, lang, **rest)
