"""Dataset manifests (datasets/<id>/dataset.yml): the one place a dataset is described.

Ingest, publication (OGC API collections) and the portal's attribution all read
the manifest, so adding a dataset is a folder with a manifest and a file.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portal.errors import UserError
from portal.settings import DATASETS_DIR

FORMATS = {"geojson", "gpkg", "shp", "csv", "luchtmeetnet", "geotiff", "asciigrid"}
TARGETS = {"area", "station", "observation", "grid"}
REQUIRED_FIELDS = {
    "area": {"code", "name"},
    "station": {"id", "name"},
    "observation": {"station_id", "value", "year"},
    "grid": set(),
}


@dataclass(frozen=True)
class Manifest:
    id: str
    folder: Path
    title: dict[str, str]
    description: dict[str, str]
    publisher: str
    attribution: str
    license: str
    source_url: str
    demo: bool
    access: str
    source: dict[str, Any]
    load: dict[str, Any]
    publish: dict[str, Any] | None = None
    keywords: list[str] = field(default_factory=list)
    theme: str | None = None
    generator: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path:
        return self.folder / "dataset.yml"

    @property
    def target(self) -> str:
        return self.load["into"]

    @property
    def source_pattern(self) -> str:
        return os.path.normpath(self.folder / self.source["path"])

    def source_files(self) -> list[Path]:
        """The files the manifest's source path names ({year} matches any year)."""
        pattern = self.source_pattern.replace("{year}", "[0-9][0-9][0-9][0-9]")
        return sorted(Path(p) for p in glob.glob(pattern))

    def year_of(self, path: Path) -> int:
        rx = re.escape(self.source_pattern).replace(r"\{year\}", r"(\d{4})")
        m = re.fullmatch(rx, os.path.normpath(path))
        if not m or not m.groups():
            raise UserError(f"{self.path}: source.path has no {{year}} that matches {path.name}")
        return int(m.group(1))


def _need(data: dict, key: str, where: Path, kind: type | tuple = str, ctx: str = "") -> Any:
    full = f"{ctx}{key}"
    if key not in data or data[key] in (None, ""):
        raise UserError(f"{where}: missing key '{full}'")
    if not isinstance(data[key], kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise UserError(f"{where}: key '{full}' must be a {names}, got {data[key]!r}")
    return data[key]


def read_manifest(path: Path) -> Manifest:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys")
    ident = _need(data, "id", path)
    if ident != path.parent.name:
        raise UserError(f"{path}: key 'id' is '{ident}' but the folder is '{path.parent.name}'")
    for key in ("title", "description"):
        texts = _need(data, key, path, dict)
        for lang in ("nl", "en"):
            _need(texts, lang, path, str, f"{key}.")
    for key in ("publisher", "attribution", "license", "source_url"):
        _need(data, key, path)
    demo = _need(data, "demo", path, bool) if "demo" in data else None
    if demo is None:
        raise UserError(f"{path}: missing key 'demo' (true for generated demo data, false for real data)")
    access = data.get("access", "public")
    if access not in ("public", "staff"):
        raise UserError(f"{path}: key 'access' must be 'public' or 'staff', got {access!r}")
    source = _need(data, "source", path, dict)
    _need(source, "path", path, str, "source.")
    fmt = _need(source, "format", path, str, "source.")
    if fmt not in FORMATS:
        raise UserError(f"{path}: key 'source.format' must be one of {sorted(FORMATS)}, got {fmt!r}")
    load = _need(data, "load", path, dict)
    target = _need(load, "into", path, str, "load.")
    if target not in TARGETS:
        raise UserError(f"{path}: key 'load.into' must be one of {sorted(TARGETS)}, got {target!r}")
    fields = load.get("fields", {}) or {}
    missing = REQUIRED_FIELDS[target] - set(fields)
    if missing:
        raise UserError(f"{path}: key 'load.fields' lacks {', '.join(sorted(missing))} for '{target}'")
    if target in ("observation", "grid"):
        _need(load, "indicator", path, str, "load.")
    if target == "area" and load.get("level") not in ("gemeente", "wijk", "buurt"):
        raise UserError(f"{path}: key 'load.level' must be gemeente, wijk or buurt")
    publish = data.get("publish")
    if publish is not None:
        _need(publish, "collection", path, str, "publish.")
        _need(publish, "table", path, str, "publish.")
    return Manifest(
        id=ident, folder=path.parent, title=data["title"], description=data["description"],
        publisher=data["publisher"], attribution=data["attribution"], license=data["license"],
        source_url=data["source_url"], demo=demo, access=access, source=source, load=load,
        publish=publish, keywords=list(data.get("keywords") or []), theme=data.get("theme"),
        generator=data.get("generator"), raw=data,
    )


def all_manifests(root: Path = DATASETS_DIR) -> list[Manifest]:
    return [read_manifest(p) for p in sorted(root.glob("*/dataset.yml"))]


def select(ids: list[str] | None, root: Path = DATASETS_DIR) -> list[Manifest]:
    manifests = all_manifests(root)
    if not ids:
        return manifests
    known = {m.id: m for m in manifests}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UserError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[i] for i in ids]
