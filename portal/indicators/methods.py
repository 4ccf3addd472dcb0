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
    "grid_mean": ((), "kind_grid"),
    "grid_max": ((), "kind_grid"),
    "grid_share_above": ((), "kind_grid"),
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

    @property
    def datasets(self) -> tuple[str, ...]:
        extra = self.params.get("population", {}).get("dataset")
        return (self.dataset, extra) if extra else (self.dataset,)

    @property
    def sql_name(self) -> str:
        return KINDS[self.kind][1]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "dataset": self.dataset, **self.params}

    def __hash__(self) -> int:
        return hash(self.indicator)


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
        dataset = entry.pop("dataset", None)
        if dataset not in by_id:
            raise UserError(f"{key}.dataset': no dataset {dataset!r} in datasets/")
        for req in KINDS[kind][0]:
            if req not in entry:
                raise UserError(f"{key}.{req}': required for kind {kind}")
        if kind == "grid_share_above" and not ({"threshold", "threshold_norm"} & set(entry)):
            raise UserError(f"{key}': grid_share_above needs threshold_norm or threshold")
        pop = entry.get("population")
        if pop is not None and (not isinstance(pop, dict) or pop.get("dataset") not in by_id
                                or not pop.get("field")):
            raise UserError(f"{key}.population': needs dataset (a dataset id) and field")
        better = entry.pop("better", None) or (
            _better_from_norms(comparators, code)) or "lower"
        if better not in ("lower", "higher"):
            raise UserError(f"{key}.better': {better!r} is not lower or higher")
        methods.append(Method(code, kind, dataset, entry, better))
    return methods
