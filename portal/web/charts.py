"""Small server-side SVG line charts: no chart library, no script, print-friendly.

Every chart is paired with a data table on the page (WCAG 1.1.1); the SVG carries a
short text alternative naming the last value and the norms drawn.
"""

from __future__ import annotations

from markupsafe import Markup, escape

W, H = 360, 160
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 12, 26


def line_chart(series: list[tuple[int, float]], lines: list[tuple[str, float, str]],
               title: str, *, goal: tuple[int, float] | None = None,
               compare: list[tuple[int, float]] | None = None,
               demo_years: frozenset[int] = frozenset()) -> Markup:
    """series: (year, value); lines: (label, value, dash) horizontal norm lines;
    goal: (year, target) drawn as a diamond; compare: a second, dashed series (the city);
    demo_years: points drawn hollow (demo values beside real ones)."""
    pts = [(y, v) for y, v in series if v is not None]
    if not pts:
        return Markup("")
    years = [y for y, _ in pts] + ([goal[0]] if goal else [])
    values = [v for _, v in pts] + [v for _, v, _ in lines] + ([goal[1]] if goal else [])
    values += [v for _, v in (compare or []) if v is not None]
    y0, y1 = min(years), max(years)
    lo, hi = min(0.0, min(values)), max(values) * 1.1 or 1.0
    span_x = (y1 - y0) or 1

    def sx(year: float) -> float:
        return PAD_L + (year - y0) / span_x * (W - PAD_L - PAD_R)

    def sy(value: float) -> float:
        return H - PAD_B - (value - lo) / ((hi - lo) or 1) * (H - PAD_T - PAD_B)

    parts = [(f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" '
              'stroke="#555"/>'),
             f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#555"/>']
    for frac in (0, 0.5, 1):
        v = lo + frac * (hi - lo)
        parts.append(f'<text x="{PAD_L - 4}" y="{sy(v) + 4:.1f}" text-anchor="end" '
                     f'font-size="10">{v:.3g}</text>')
    parts.append(f'<text x="{PAD_L}" y="{H - 8}" font-size="10">{y0}</text>')
    parts.append(f'<text x="{W - PAD_R}" y="{H - 8}" font-size="10" text-anchor="end">{y1}</text>')
    for label, value, dash in lines:
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{sy(value):.1f}" '
                     f'y2="{sy(value):.1f}" stroke="#BB5566" stroke-width="1.5" '
                     f'stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{W - PAD_R}" y="{sy(value) - 3:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#6b1f33">{escape(label)}</text>')
    if compare:
        cpts = [(y, v) for y, v in compare if v is not None]
        if cpts:
            path = " ".join(f"{sx(y):.1f},{sy(v):.1f}" for y, v in cpts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="#555" '
                         'stroke-width="1.5" stroke-dasharray="2 3"/>')
    path = " ".join(f"{sx(y):.1f},{sy(v):.1f}" for y, v in pts)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#004488" stroke-width="2.5"/>')
    for y, v in pts:
        fill = "#ffffff" if y in demo_years else "#004488"
        parts.append(f'<circle cx="{sx(y):.1f}" cy="{sy(v):.1f}" r="3" fill="{fill}" '
                     'stroke="#004488" stroke-width="1.5"/>')
    if goal:
        gx, gy = sx(goal[0]), sy(goal[1])
        parts.append(f'<path d="M{gx:.1f},{gy - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="#DDAA33" '
                     'stroke="#222"/>')
    return Markup(f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
                  f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{escape(title)}</title>{"".join(parts)}</svg>')
