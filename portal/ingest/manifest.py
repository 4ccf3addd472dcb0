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
from jsonschema import Draft202012Validator

from portal.errors import UserError
from portal.settings import get_settings

SCHEMA = yaml.safe_load((Path(__file__).parent / "manifest.schema.yml").read_text(encoding="utf-8"))
_VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
REQUIRED_FIELDS = {
    "area": {"code", "name"},
    "station": {"id", "name"},
    "observation": {"station_id", "value", "year"},
    "features": set(),
    "grid": set(),
    "measurement": set(),
    "area_figure": set(),
}
VALUE_KINDS = ("measured", "modelled")  # real data; generated data is `demo`
DEFAULT_TYPES = {"year": "year", "value": "number"}
VECTOR_TARGETS = {"features", "area", "station"}
# published from a view of their own in schema `data` (load.py, views.py), by default under
# the dataset's id; grids are coverages (portal/web/coverages.py)
DEFAULT_PUBLISHED = ("features", "measurement", "area_figure")


@dataclass(frozen=True)
class Field:
    """One normalised column: where it comes from, its type, and what it measures."""

    name: str
    source: str
    type: str = "text"
    required: bool = True
    indicator: str | None = None
    unit: str | None = None
    range: tuple[float | None, float | None] = (None, None)




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
    access: str | tuple[str, ...]  # "public", "staff" or the roles that may see it
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
    def id_field(self) -> str:
        """The key of its published rows (features keep the source's id when it has one)."""
        return (self.load.get("id_field") or "fid") if self.target == "features" else "id"

    @property
    def published_table(self) -> tuple[str, str] | None:
        """(schema, table) its rows are published from — the OGC API collection and the
        downloads read the same relation; None for grids (coverages) and unpublished data."""
        if not self.publish:
            return None
        return ("data" if self.target in DEFAULT_PUBLISHED else "monitor", self.publish["table"])

    @property
    def fields(self) -> list[Field]:
        out = []
        for name, spec in (self.load.get("fields") or {}).items():
            spec = {"source": spec} if isinstance(spec, str) else spec
            # load.valid_range is shorthand for the range of the `value` field
            lo, hi = spec.get("range") or (
                self.load.get("valid_range") if name == "value" else None) or (None, None)
            out.append(Field(name=name, source=spec["source"],
                             type=spec.get("type", DEFAULT_TYPES.get(name, "text")),
                             required=spec.get("required", True),
                             indicator=spec.get("indicator") or (
                                 self.load.get("indicator") if name == "value" else None),
                             unit=spec.get("unit"), range=(lo, hi)))
        return out

    @property
    def source_pattern(self) -> str:
        """The files ingest reads: beside the manifest, or — for a remote source that has
        been fetched — in its current retrieval (portal/fetch/store.py)."""
        base = self.folder
        if self.source.get("fetch"):
            from portal.fetch.store import current_dir

            base = current_dir(self.id) or base
        return os.path.normpath(base / Path(self.source["path"]).name
                                if base != self.folder else base / self.source["path"])

    @property
    def value_kind(self) -> str:
        """What the values are: measured, modelled, or demo (generated)."""
        return "demo" if self.demo else (self.raw.get("value_kind") or "measured")

    @property
    def value_note(self) -> dict[str, str] | None:
        """A short note on what the values are, shown beside them (nl/en)."""
        return self.raw.get("value_note")

    def shipped_files(self) -> list[Path]:
        """The source files beside the manifest (what a first fetch starts from)."""
        return self._matching(os.path.normpath(self.folder / self.source["path"]))

    def source_files(self) -> list[Path]:
        """The files the manifest's source path names ({year} matches any year, {component}
        any name such as NO2)."""
        return self._matching(self.source_pattern)

    @staticmethod
    def _matching(pattern: str) -> list[Path]:
        pattern = pattern.replace("{year}", "[0-9][0-9][0-9][0-9]").replace("{component}", "*")
        return sorted(Path(p) for p in glob.glob(pattern))

    def _part(self, path: Path, name: str, rx_part: str) -> str:
        rx = re.escape(self.source_pattern)
        for key, part in (("year", r"\d{4}"), ("component", r"[A-Za-z0-9.]+")):
            rx = rx.replace(rf"\{{{key}\}}", f"(?P<{key}>{rx_part if key == name else part})")
        m = re.fullmatch(rx, os.path.normpath(path))
        if not m or name not in m.groupdict():
            raise UserError(f"{self.path}: source.path has no {{{name}}} that matches {path.name}")
        return m.group(name)

    def year_of(self, path: Path) -> int:
        return int(self._part(path, "year", r"\d{4}"))

    def component_of(self, path: Path) -> str:
        """{component} in the file name, e.g. NO2 in hourly_NO2_2017.csv.gz."""
        return self._part(path, "component", r"[A-Za-z0-9.]+")


def _where(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def read_manifest(path: Path) -> Manifest:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys")
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UserError(f"{path}: key '{_where(e)}': {e.message}{more}")

    def bad(key: str, why: str) -> UserError:
        return UserError(f"{path}: key '{key}': {why}")

    if data["id"] != path.parent.name:
        raise bad("id", f"is '{data['id']}' but the folder is '{path.parent.name}'")
    _check_load(data, bad)
    publish = data.get("publish")
    target = data["load"]["into"]
    if publish is None and target in DEFAULT_PUBLISHED:  # every dataset is a collection
        publish = {"collection": data["id"]}
    if publish is not None and "table" not in publish:
        if target not in DEFAULT_PUBLISHED:
            raise bad("publish.table", f"is required for load.into '{target}'")
        publish = {**publish, "table": table_name(data["id"])}
        if target == "measurement":
            publish.setdefault("time_field", "begin_at")
    source, load = data["source"], data["load"]
    return Manifest(
        id=data["id"], folder=path.parent, title=data["title"], description=data["description"],
        publisher=data["publisher"], attribution=data["attribution"], license=data["license"],
        source_url=data["source_url"], demo=data["demo"],
        access=_access(data.get("access", "public")),
        source=source, load=load, publish=publish, keywords=list(data.get("keywords") or []),
        theme=data.get("theme"), generator=data.get("generator"), raw=data,
    )


def _check_load(data: dict, bad) -> None:
    """What the schema cannot say: which keys each load target needs."""
    source, load = data["source"], data["load"]
    target = load["into"]
    missing = REQUIRED_FIELDS[target] - set(load.get("fields") or {})
    if missing:
        raise bad("load.fields", f"lacks {', '.join(sorted(missing))} for load.into '{target}'")
    if target in ("observation", "grid") and not load.get("indicator"):
        raise bad("load.indicator", f"is required for load.into '{target}'")
    if target == "area" and not load.get("level"):
        raise bad("load.level", "is required for load.into 'area' (gemeente, wijk or buurt)")
    if target == "measurement" and not (load.get("time") and load.get("stations")):
        raise bad("load.time", "load.into 'measurement' needs load.time (the column with the"
                  " begin of the hour) and load.stations (the station columns)")
    if target == "measurement" and "{component}" not in source["path"]:
        raise bad("source.path", "load.into 'measurement' needs {component} in the path "
                  "(e.g. hourly_{component}.csv), naming what each file measures")
    if target == "area_figure" and not (load.get("area_code") and load.get("fields")
                                        and load.get("years")):
        raise bad("load.area_code", "load.into 'area_figure' needs load.area_code (the column "
                  "with the CBS area code), load.years and load.fields (the figures)")
    if data.get("demo") and data.get("value_kind"):
        raise bad("value_kind", "demo data are demo: leave value_kind out")
    if source["format"] == "csv" and target in VECTOR_TARGETS and not (
            source.get("x") and source.get("y")):
        raise bad("source.x", "CSV sources of geometries need source.x and source.y columns")
    if (target == "grid") != (source["format"] in ("geotiff", "asciigrid")):
        raise bad("load.into", f"'{target}' does not go with source.format '{source['format']}'")
    if load.get("id_field") and load["id_field"] not in (load.get("fields") or {}):
        raise bad("load.id_field", f"'{load['id_field']}' is not one of load.fields")


def _access(value) -> str | tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else value


def table_name(dataset_id: str) -> str:
    """The view a `features` dataset is served from (schema `data`)."""
    return dataset_id.replace("-", "_")


def all_manifests(root: Path | None = None) -> list[Manifest]:
    root = root or get_settings().datasets_dir
    return [read_manifest(p) for p in sorted(root.glob("*/dataset.yml"))]


def select(ids: list[str] | None, root: Path | None = None) -> list[Manifest]:
    manifests = all_manifests(root)
    if not ids:
        return manifests
    known = {m.id: m for m in manifests}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UserError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[i] for i in ids]
