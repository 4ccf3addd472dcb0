"""A SPARQL worker process: runs one query at a time on a read-only Oxigraph store, over the
union of its graphs (results and meta, triplestore.py).

Kept apart (and light: only pyoxigraph) because the endpoint enforces its time limit by
ending the process: Oxigraph has no query timeout of its own, and a thread cannot be
stopped. Messages: (store path, query, "results" | "graph", format name) → ("ok", bytes) |
("syntax", message) | ("error", message).
"""

from __future__ import annotations


def serve(conn) -> None:
    import pyoxigraph as ox

    stores: dict[str, ox.Store] = {}
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        path, query, kind, fmt = message
        try:
            if path not in stores:
                stores.clear()  # a new data version: the old store is not needed any more
                stores[path] = ox.Store.read_only(path)
            result = stores[path].query(query, use_default_graph_as_union=True)
            formats = ox.RdfFormat if kind == "graph" else ox.QueryResultsFormat
            conn.send(("ok", result.serialize(format=getattr(formats, fmt))))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except Exception as exc:  # noqa: BLE001 - any failure of one query: report it, keep serving
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
