"""Pick an RDF serialisation (or HTML) from `?format=` or the Accept header.

`?format=` wins so that a plain link can fetch Turtle; otherwise the Accept header is
weighed by q-value, ties going to the order in which the caller offers formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request


@dataclass(frozen=True)
class Format:
    key: str
    media_type: str
    rdflib: str | None  # rdflib serializer name; None = rendered as HTML
    extension: str


FORMATS = {
    "html": Format("html", "text/html", None, "html"),
    "ttl": Format("ttl", "text/turtle", "turtle", "ttl"),
    "jsonld": Format("jsonld", "application/ld+json", "json-ld", "jsonld"),
    "rdf": Format("rdf", "application/rdf+xml", "xml", "rdf"),
    "nt": Format("nt", "application/n-triples", "nt", "nt"),
}
ALIASES = {"turtle": "ttl", "json-ld": "jsonld", "json": "jsonld", "xml": "rdf",
           "rdfxml": "rdf", "rdf+xml": "rdf", "ntriples": "nt", "n-triples": "nt"}
MEDIA_ALIASES = {"application/json": "jsonld", "application/xhtml+xml": "html",
                 "application/x-turtle": "ttl", "text/n3": "ttl"}
RDF_ORDER = ("html", "ttl", "jsonld", "rdf", "nt")


class NotAcceptable(Exception):
    """None of the offered formats matches the request."""


def by_key(key: str) -> Format | None:
    key = key.lower()
    return FORMATS.get(ALIASES.get(key, key))


def _accept(header: str) -> list[tuple[str, float]]:
    out = []
    for part in header.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        out.append((media.lower(), q))
    return out


def _quality(fmt: Format, accepted: list[tuple[str, float]]) -> float:
    best, specificity = 0.0, -1
    for media, q in accepted:
        target = MEDIA_ALIASES.get(media)
        if media == fmt.media_type or target == fmt.key:
            spec = 2
        elif media.endswith("/*") and fmt.media_type.startswith(media[:-1]):
            spec = 1
        elif media == "*/*":
            spec = 0
        else:
            continue
        if spec > specificity:
            best, specificity = q, spec
    return best


def choose(request: Request, offered: tuple[str, ...] = RDF_ORDER) -> Format:
    explicit = request.query_params.get("format") or request.query_params.get("f")
    if explicit:
        fmt = by_key(explicit)
        if fmt is None or fmt.key not in offered:
            raise NotAcceptable(f"unknown format {explicit!r}; use one of {', '.join(offered)}")
        return fmt
    header = request.headers.get("accept", "").strip()
    if not header:
        return FORMATS[offered[0]]
    accepted = _accept(header)
    scored = [(_quality(FORMATS[k], accepted), -i, k) for i, k in enumerate(offered)]
    q, _, key = max(scored)
    if q <= 0:
        raise NotAcceptable(f"none of {', '.join(FORMATS[k].media_type for k in offered)} "
                            f"is acceptable")
    return FORMATS[key]
