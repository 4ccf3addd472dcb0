"""Compute area indicator values and their status, set-based in PostGIS.

The vocabulary is mirrored into monitor.indicator / monitor.norm first, so the
SQL that assesses values never contains a norm value of its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from portal.errors import UserError
from portal.vocabulary.graph import indicators, load_vocabulary, norms, validate

SQL_DIR = Path(__file__).parent / "sql"
STEPS = ("cell_weights", "grid_means", "assess")


def _statements(name: str) -> list[str]:
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return [s for s in re.split(r";\s*\n", text) if s.strip() and not _only_comments(s)]


def _only_comments(stmt: str) -> bool:
    return all(not ln.strip() or ln.strip().startswith("--") for ln in stmt.splitlines())


def run_sql(conn: psycopg.Connection, name: str, params: dict | None = None) -> None:
    for stmt in _statements(name):
        conn.execute(stmt, params if params and "%(" in stmt else None)


def sync_vocabulary(conn: psycopg.Connection, graph=None) -> tuple[int, int]:
    """Mirror indicators and norms of the (validated) vocabulary into the database."""
    graph = graph if graph is not None else load_vocabulary()
    problems = validate(graph)
    if problems:
        raise UserError("the vocabulary is invalid: " + "; ".join(problems[:5]))
    inds, nrms = indicators(graph), norms(graph)
    conn.execute("DELETE FROM monitor.norm")
    conn.execute("DELETE FROM monitor.indicator WHERE code <> ALL(%s)", ([i.code for i in inds],))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO monitor.indicator (code, iri, label_nl, label_en, unit_symbol, theme_iri,"
            " theme_label_nl, theme_label_en, unit_iri) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (code) DO UPDATE SET iri = EXCLUDED.iri, label_nl = EXCLUDED.label_nl,"
            " label_en = EXCLUDED.label_en, unit_symbol = EXCLUDED.unit_symbol,"
            " theme_iri = EXCLUDED.theme_iri, theme_label_nl = EXCLUDED.theme_label_nl,"
            " theme_label_en = EXCLUDED.theme_label_en, unit_iri = EXCLUDED.unit_iri",
            [(i.code, str(i.iri), i.label_nl, i.label_en, i.unit_symbol, str(i.theme_iri),
              i.theme_label_nl, i.theme_label_en, str(i.unit_iri)) for i in inds])
        cur.executemany(
            "INSERT INTO monitor.norm (iri, indicator, label_nl, label_en, kind_label_nl,"
            " kind_label_en, binding, threshold, comparator, valid_from, valid_through,"
            " source_iri, citation, verified, qualitative_text)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(str(n.iri), n.indicator_code, n.label_nl, n.label_en, n.kind_label_nl,
              n.kind_label_en, n.binding, n.threshold, n.comparator, n.valid_from,
              n.valid_through, str(n.source_iri), n.citation, n.verified, n.qualitative_text)
             for n in nrms])
    return len(inds), len(nrms)


def assess(conn: psycopg.Connection, attention: float) -> None:
    run_sql(conn, "assess", {"attention": attention})


def compute(conn: psycopg.Connection, attention: float,
            progress: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Recompute everything in one transaction; return seconds per step."""
    timings: dict[str, float] = {}
    with conn.transaction():
        t = time.perf_counter()
        sync_vocabulary(conn)
        timings["vocabulary"] = time.perf_counter() - t
        for step in STEPS:
            t = time.perf_counter()
            run_sql(conn, step, {"attention": attention})
            timings[step] = time.perf_counter() - t
            if progress:
                progress(step, timings[step])
    return timings
