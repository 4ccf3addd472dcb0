"""Status derivation: thresholds come from the vocabulary, the rules from assess.sql."""

from __future__ import annotations

import pytest

from portal.indicators.compute import assess
from portal.settings import get_settings

CASES = [  # value, year, expected status, governing norm (suffix of its IRI)
    (41.0, 2025, "exceeds", "eu-2008-50"),  # over the binding EU limit value of 40
    (37.0, 2019, "attention", "eu-2008-50"),  # complies, but within 10 % of 40
    (25.0, 2025, "attention", "who"),  # only the WHO guideline (10) is not met
    (8.0, 2025, "good", "eu-2008-50"),  # below every norm
    (25.0, 2030, "exceeds", "eu-2024-2881"),  # the 2030 EU limit value of 20 applies
    (25.0, 2019, "good", "eu-2008-50"),  # WHO 2021 guideline not yet published
]


@pytest.fixture()
def assessed(conn):
    """Synthetic area values assessed by the same SQL as `portal compute`, then rolled back."""
    with conn.transaction(force_rollback=True):
        for i, (value, year, _, _) in enumerate(CASES):
            conn.execute(
                "INSERT INTO monitor.indicator_value (area_code, indicator, year, value)"
                " VALUES (%s, 'no2_annual_mean', %s, %s)", (f"TEST{i}", year, value))
        assess(conn, get_settings().attention_margin_fraction)
        yield {
            code: (status, norm, margin)
            for code, status, norm, margin in conn.execute(
                "SELECT area_code, status, status_norm, status_margin FROM monitor.indicator_value"
                " WHERE area_code LIKE 'TEST%'")
        }


@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_status_follows_the_norms_valid_that_year(assessed, i):
    _value, _year, expected, norm = CASES[i]
    status, governing, _margin = assessed[f"TEST{i}"]
    assert status == expected
    assert norm in governing


def test_margin_is_room_left_below_the_governing_norm(assessed):
    assert assessed["TEST0"][2] == pytest.approx(-1.0)  # 40 - 41
    assert assessed["TEST3"][2] == pytest.approx(32.0)  # 40 - 8


def test_every_area_has_a_no2_status_every_year(conn):
    rows = conn.execute(
        "SELECT level, count(DISTINCT area_code), count(DISTINCT year), count(*) FILTER"
        " (WHERE status IS NULL) FROM monitor.area_status WHERE indicator = 'no2_annual_mean'"
        " GROUP BY level ORDER BY level").fetchall()
    # GCN 2011-2021 and the demo grid 2022-2025
    assert ("buurt", 114, 15, 0) in rows and ("wijk", 44, 15, 0) in rows


def test_demo_values_are_plausible_and_fall_over_the_years(conn):
    lo, hi, first, last = conn.execute(
        "SELECT min(value), max(value), avg(value) FILTER (WHERE year = 2015),"
        " avg(value) FILTER (WHERE year = 2025) FROM monitor.indicator_value"
        " WHERE indicator = 'no2_annual_mean'").fetchone()
    assert 10 < lo and hi < 50
    assert last < first
