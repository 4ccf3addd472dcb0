"""How a status, a goal verdict and a trend look: colour, icon and (translated) word.

Paul Tol's high-contrast palette stays distinguishable under colour-vision deficiency.
Meaning is never carried by colour alone: every status also has a word and an icon, and
"exceeds" is drawn hatched / with a dashed outline. Words are catalogue messages.
"""

from __future__ import annotations

from portal.web.i18n import N_, Messages

STATUS = {
    "good": {"colour": "#004488", "text": "#ffffff", "icon": "✓", "label": N_("good")},
    "attention": {"colour": "#DDAA33", "text": "#000000", "icon": "!",
                  "label": N_("attention")},
    "exceeds": {"colour": "#BB5566", "text": "#ffffff", "icon": "✕", "label": N_("exceeds")},
    "no_norm": {"colour": "#BBBBBB", "text": "#000000", "icon": "–", "label": N_("no norm")},
    "no_data": {"colour": "#FFFFFF", "text": "#000000", "icon": "?", "label": N_("no data")},
    "not_applicable": {"colour": "#EEEEEE", "text": "#000000", "icon": "∅",
                       "label": N_("not applicable (nobody lives here)")},
}
# at a point: an open norm has no number to test, a norm without a value no verdict
POINT_STATUS = {
    "open": {"colour": "#FFFFFF", "text": "#000000", "icon": "§", "label": N_("open norm")},
    "no_value": {"colour": "#FFFFFF", "text": "#000000", "icon": "?", "label": N_("no value")},
    # Directive 2008/50/EC Annex I: below 90 % valid hours a year has no annual mean
    "insufficient_data_capture": {"colour": "#FFFFFF", "text": "#000000", "icon": "…",
                                  "label": N_("insufficient data capture")},
}
SOURCE_KIND = {  # what a value is (dataset_version.value_kind)
    "measured": {"icon": "", "label": N_("measured")},
    "modelled": {"icon": "", "label": N_("modelled")},
    "demo": {"icon": "", "label": N_("demo")},
}
GOAL_STATUS = {
    "reached": {"icon": "✓", "label": N_("reached")},
    "on_course": {"icon": "✓", "label": N_("on course")},
    "off_course": {"icon": "✕", "label": N_("off course")},
    "insufficient_data": {"icon": "?", "label": N_("too few years for a trend")},
    "open": {"icon": "–", "label": N_("open goal, no number")},
    "no_data": {"icon": "?", "label": N_("no data")},
}
TREND = {
    "improving": {"icon": "↗", "label": N_("improving")},
    "stable": {"icon": "→", "label": N_("stable")},
    "worsening": {"icon": "↘", "label": N_("worsening")},
    "insufficient_data": {"icon": "?", "label": N_("too few years for a trend")},
}
COMPARATOR = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


def translated(table: dict, messages: Messages, lang: str) -> dict[str, dict]:
    return {k: {**v, "label": messages.gettext(lang, v["label"])} for k, v in table.items()}
