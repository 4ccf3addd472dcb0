"""The pages every Dutch government site has: the accessibility statement (after the model
of digitoegankelijk.nl), the colophon with every source and its licence, and the privacy
statement (no cookies for residents, no tracking). Content from config and manifests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from portal.web.views.common import lang_of

PAGES = {"/toegankelijkheid": "about/accessibility.html", "/colofon": "about/colophon.html",
         "/privacy": "about/privacy.html"}


def routes(state) -> list[Route]:
    def page(template: str):
        def view(request: Request) -> HTMLResponse:
            lang = lang_of(request)
            return HTMLResponse(state.templates.render(lang, template, request))
        return view

    return [Route(path, page(template)) for path, template in PAGES.items()]
