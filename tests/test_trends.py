"""Trends (Theil–Sen) and goal projections on series built for the purpose."""

from __future__ import annotations

from itertools import combinations
from statistics import median

import pytest

from portal.indicators.compute import run_sql
from portal.indicators.methods import trend_settings

YEARS = list(range(2016, 2026))
FALLING = {y: 30.0 - 1.5 * (y - 2016) for y in YEARS}  # 30 → 16.5, steadily
FALLING_WITH_OUTLIER = {**FALLING, 2020: FALLING[2020] + 10.0}  # one odd year


def _theil_sen(series: dict[int, float]) -> tuple[float, float]:
    slope = median((series[b] - series[a]) / (b - a) for a, b in combinations(sorted(series), 2))
    return slope, median(v - slope * y for y, v in series.items())


@pytest.fixture()
def trends(conn):
    """Synthetic series for test areas; trends and goals computed by the shipped SQL."""
    series = {
        "T_FALL": ("no2_annual_mean", FALLING),
        "T_OUTLIER": ("no2_annual_mean", FALLING_WITH_OUTLIER),
        "T_SLOW": ("no2_annual_mean", {y: 30.0 - 0.5 * (y - 2016) for y in YEARS}),
        "T_FLAT": ("no2_annual_mean", {y: 20.0 + (0.05 if y % 2 else -0.05) for y in YEARS}),
        "T_CLEAN": ("no2_annual_mean", {y: 12.0 - 0.3 * (y - 2016) for y in YEARS}),
        "T_GREEN": ("tree_canopy_cover", {y: 15.0 + 0.8 * (y - 2016) for y in YEARS}),
        "T_SHORT": ("no2_annual_mean", {2024: 20.0, 2025: 19.0}),
    }
    with conn.transaction(force_rollback=True):
        for area, (indicator, values) in series.items():
            for year, value in values.items():
                conn.execute("INSERT INTO monitor.indicator_value (area_code, indicator, year,"
                             " value) VALUES (%s, %s, %s, %s)", (area, indicator, year, value))
        run_sql(conn, "trends", {**trend_settings(), "scope": None})
        run_sql(conn, "goals")
        t = {r[0]: r[1:] for r in conn.execute(
            "SELECT area_code, slope, intercept, direction, n_years FROM monitor.indicator_trend"
            " WHERE area_code LIKE 'T\\_%'")}
        g = {r[0]: r[1:] for r in conn.execute(
            "SELECT area_code, projected_value, status FROM monitor.goal_progress"
            " WHERE area_code LIKE 'T\\_%' AND goal_iri LIKE '%no2-2030'")}
        yield t, g


def test_a_steadily_falling_series_is_improving(trends):
    t, _ = trends
    slope, intercept, direction, n = t["T_FALL"]
    assert direction == "improving" and n == 10
    assert slope == pytest.approx(-1.5)
    assert intercept == pytest.approx(30.0 + 1.5 * 2016)


def test_its_projection_matches_a_hand_calculation(trends):
    _, g = trends
    # by hand: 30 - 1.5 × (2030 - 2016) = 9.0 µg/m³ in 2030, below the goal of 10: on course
    projected, status = g["T_FALL"]
    assert projected == pytest.approx(9.0)
    assert status == "on_course"


def test_theil_sen_ignores_one_odd_year(trends):
    t, g = trends
    slope, intercept, direction, _ = t["T_OUTLIER"]
    assert (slope, intercept) == pytest.approx(_theil_sen(FALLING_WITH_OUTLIER))
    assert slope == pytest.approx(-1.5) and direction == "improving"
    assert g["T_OUTLIER"][0] == pytest.approx(9.0)


def test_off_course_reached_stable_and_too_short(trends):
    t, g = trends
    assert g["T_SLOW"] == (pytest.approx(30.0 - 0.5 * 14), "off_course")  # 23 > 10 in 2030
    assert g["T_CLEAN"][1] == "reached"  # 9.3 in 2025 already meets 10
    assert t["T_FLAT"][2] == "stable"
    assert t["T_SHORT"][2] == "insufficient_data" and g["T_SHORT"][1] == "insufficient_data"


def test_higher_is_better_for_canopy(trends):
    t, _ = trends
    assert t["T_GREEN"][2] == "improving" and t["T_GREEN"][0] == pytest.approx(0.8)
