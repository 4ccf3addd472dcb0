"""HTML pages: one Jinja environment per language, with the message catalogue installed
(Jinja's i18n extension: `_()` and `{% trans %}` in templates), and the context every page
shares (language switch, links, palette, sources)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from portal.web.i18n import LANGUAGES, Messages
from portal.web.status import (
    COMPARATOR,
    GOAL_STATUS,
    POINT_STATUS,
    SOURCE_KIND,
    STATUS,
    TREND,
    translated,
)
from portal.web.urls import Urls

TEMPLATES = Path(__file__).parent / "templates"


class Templates:
    def __init__(self, messages: Messages, urls: Urls, shared: dict):
        """`shared`: context of every page (city, sources, link helpers)."""
        self.urls = urls
        self.shared = shared
        self.envs: dict[str, Environment] = {}
        self.palettes: dict[str, dict] = {}
        for lang in LANGUAGES:
            env = Environment(loader=FileSystemLoader(TEMPLATES),
                              autoescape=select_autoescape(), extensions=["jinja2.ext.i18n"],
                              trim_blocks=True, lstrip_blocks=True)
            env.install_gettext_translations(messages.translations[lang], newstyle=True)
            self.envs[lang] = env
            self.palettes[lang] = {
                "status": translated(STATUS, messages, lang),
                "point_status": {**translated(STATUS, messages, lang),
                                 **translated(POINT_STATUS, messages, lang)},
                "goal_status": translated(GOAL_STATUS, messages, lang),
                "trend": translated(TREND, messages, lang),
                "source_kind": translated(SOURCE_KIND, messages, lang)}

    def render(self, lang: str, template: str, request: Request | None, /, **ctx) -> str:
        other = "en" if lang == "nl" else "nl"
        path = request.url.path if request is not None else "/"
        query = dict(request.query_params) if request is not None else {}
        principal = request.scope.get("principal") if request is not None else None
        return self.envs[lang].get_template(template).render(
            lang=lang, other=other, switch=self.urls.same_page(path, query, other),
            u=self.urls, path=path, comparator=COMPARATOR, **self.palettes[lang],
            signed_in=principal.name if principal is not None else None,
            **self.shared, **ctx)
