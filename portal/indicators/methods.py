"""How each indicator is aggregated per area: config/indicators.yml, checked and completed.

An indicator fed by a grid manifest (`load.indicator`) that the configuration does not list
gets `grid_mean` from that grid, so a new grid theme needs a manifest and vocabulary only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from portal.errors import UserError
from portal.ingest.manifest import Manifest
from portal.settings import CONFIG_DIR

CONFIG_FILE = "indicators.yml"
KINDS = {  # kind -> (required params, SQL file)
    "grid_mean": ((), None),  # grid kinds: portal/indicators/gridpass.py
    "grid_max": ((), None),
    "grid_share_above": ((), None),
    "point_density": ((), "kind_point"),
    "point_mean": (("field",), "kind_point"),
    "coverage_share": ((), "kind_coverage_share"),
    "distance_share": (("distance",), "kind_distance_share"),
    "area_per_capita": (("population",), "kind_area_per_capita"),
}
TREND_DEFAULTS = {"method": "theil-sen", "last_years": 10, "min_points": 3,
                  "stable_fraction": 0.01}


@dataclass(frozen=True)
class Method:
    indicator: str
    kind: str
    dataset: str
    params: dict[str, Any]
    better: str
    sources: tuple[str, ...] = ()  # `datasets`: per year the first that has it; else (dataset,)

    @property
    def datasets(self) -> tuple[str, ...]:
        return (*(self.sources or (self.dataset,)), *population_datasets(self.params))

    @property
    def sql_name(self) -> str:
        return KINDS[self.kind][1]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "dataset": self.dataset, "sources": list(self.sources),
                **self.params}

    def staged(self) -> list[Method]:
        """One method per source, each under its own code (indicator@dataset); compute
        merges them year by year (README "Indicators")."""
        return [Method(f"{self.indicator}@{d}", self.kind, d, self.params, self.better)
                for d in self.sources]

    def __hash__(self) -> int:
        return hash(self.indicator)


def population_datasets(params: dict) -> tuple[str, ...]:
    pop = params.get("population") or {}
    return tuple(pop.get("datasets") or ([pop["dataset"]] if pop.get("dataset") else []))


def _read(config_path: Path | None) -> dict:
    path = Path(config_path) if config_path else CONFIG_DIR / CONFIG_FILE
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def trend_settings(config_path: Path | None = None) -> dict:
    settings = {**TREND_DEFAULTS, **(_read(config_path).get("trend") or {})}
    if settings["method"] != "theil-sen":
        raise UserError("config/indicators.yml: key 'trend.method': only theil-sen is implemented")
    return {k: settings[k] for k in ("last_years", "min_points", "stable_fraction")}


def _better_from_norms(comparators: dict[str, set[str]], code: str) -> str | None:
    comps = comparators.get(code, set())
    if comps & {"le", "lt"}:
        return "lower"
    if comps & {"ge", "gt"}:
        return "higher"
    return None


def _check_params(key: str, kind: str, entry: dict, by_id: dict) -> None:
    for req in KINDS[kind][0]:
        if req not in entry:
            raise UserError(f"{key}.{req}': required for kind {kind}")
    if kind == "grid_share_above" and not ({"threshold", "threshold_norm"} & set(entry)):
        raise UserError(f"{key}': grid_share_above needs threshold_norm or threshold")
    pop = entry.get("population")
    if pop is not None and (not isinstance(pop, dict) or not population_datasets(entry)
                            or any(d not in by_id for d in population_datasets(entry))
                            or not pop.get("field")):
        raise UserError(f"{key}.population': needs dataset (or datasets: ids in datasets/)"
                        " and field")


def load_methods(config_path: Path | None, manifests: list[Manifest], known: set[str],
                 graph=None) -> list[Method]:
    """The configured methods plus grid_mean defaults; errors name the key and what is wrong."""
    where = str(config_path or f"config/{CONFIG_FILE}")
    raw = _read(config_path).get("indicators") or {}
    by_id = {m.id: m for m in manifests}
    comparators: dict[str, set[str]] = {}
    if graph is not None:
        from portal.vocabulary.graph import norms

        for n in norms(graph):
            comparators.setdefault(n.indicator_code, set()).add(n.comparator)
    entries: dict[str, dict] = {}
    for code, entry in raw.items():
        entries[code] = dict(entry or {})
    for m in manifests:  # default: a grid fed into an indicator nobody configured
        code = m.load.get("indicator")
        if m.target == "grid" and code and code not in entries:
            entries[code] = {"kind": "grid_mean", "dataset": m.id}
    methods = []
    for code, entry in sorted(entries.items()):
        key = f"{where}: key 'indicators.{code}"
        if code not in known:
            raise UserError(f"{key}': no indicator with om:code {code!r} in the vocabulary")
        kind = entry.pop("kind", None)
        if kind not in KINDS:
            raise UserError(f"{key}.kind': {kind!r} is not one of {', '.join(KINDS)}")
        sources = tuple(entry.pop("datasets", None) or ())
        dataset = entry.pop("dataset", None) or (sources[0] if sources else None)
        for d in (*(sources or (dataset,)), *population_datasets(entry)):
            if d not in by_id:
                raise UserError(f"{key}.dataset{'s' if sources else ''}': no dataset {d!r} in "
                                "datasets/")
            if by_id[d].access != "public":  # public figures never rest on restricted data
                raise UserError(f"{key}': dataset {d} is not public ({by_id[d].path}: access)"
                                "; its data cannot feed a public indicator")
        _check_params(key, kind, entry, by_id)
        better = entry.pop("better", None) or (
            _better_from_norms(comparators, code)) or "lower"
        if better not in ("lower", "higher"):
            raise UserError(f"{key}.better': {better!r} is not lower or higher")
        methods.append(Method(code, kind, dataset, entry, better,
                              sources if len(sources) > 1 else ()))
    return methods


def station_settings(config_path: Path | None = None) -> dict | None:
    """The `stations:` block (hourly measurements → station statistics), or None."""
    raw = _read(config_path).get("stations")
    if not raw:
        return None
    where = f"{config_path or f'config/{CONFIG_FILE}'}: key 'stations"
    for key in ("dataset", "components"):
        if not raw.get(key):
            raise UserError(f"{where}.{key}': required")
    for comp, spec in raw["components"].items():
        if not (isinstance(spec, dict) and spec.get("annual")):
            raise UserError(f"{where}.components.{comp}': needs annual (an indicator code)")
    return {"min_capture": 0.9, "min_hours_per_day": 18, **raw}


def feeding_datasets(manifests: list[Manifest], config_path: Path | None = None) -> list[Manifest]:
    """The datasets indicators are computed from (config/indicators.yml, and grids that feed
    an indicator by default): what the derived collections rest on."""
    raw = _read(config_path)
    ids: set[str] = set()
    for entry in (raw.get("indicators") or {}).values():
        entry = entry or {}
        ids |= set(entry.get("datasets") or [entry.get("dataset")])
        ids |= set(population_datasets(entry))
    ids |= {m.id for m in manifests if m.target == "grid" and m.load.get("indicator")}
    return [m for m in manifests if m.id in ids]


def derived_feeds(collection: dict, manifests: list[Manifest]) -> list[Manifest]:
    """A derived collection's datasets: its `feeds` (config/collections.yml), else every
    dataset an indicator is computed from."""
    if collection.get("feeds"):
        return [m for m in manifests if m.id in set(collection["feeds"])]
    return feeding_datasets(manifests)
