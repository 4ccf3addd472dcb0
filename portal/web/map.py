"""The resident map: a folium map whose areas are fetched from our own API.

folium's stock page loads Leaflet, jQuery and Bootstrap from CDNs and fails
basic accessibility checks, so we use folium for the map component only and
render its parts into our own page, with self-hosted Leaflet. The behaviour
(theme switch, wijk/buurt by zoom, click → location check) is the self-hosted
static/portal-map.js; folium hands it the map and a configuration (palette and words from
portal/web/status.py and the message catalogue).
"""

from __future__ import annotations

import json
import re

import folium
from branca.element import MacroElement
from jinja2 import Template

# folium's full-page styling and its zoom-blocking viewport tag (an axe failure):
# our page template sets its own layout and viewport.
_FOLIUM_PAGE_CHROME = re.compile(
    r'<meta name="viewport".*?/>|<style>\s*html, body \{.*?</style>|<style>#map \{.*?</style>',
    re.DOTALL)


class StatusLayer(MacroElement):
    """Hands the map to static/portal-map.js, which fetches and colours the areas."""

    _template = Template("""
{% macro script(this, kwargs) %}
OM.init({{ this._parent.get_name() }}, {{ this.config_json }});
{% endmacro %}
""")

    def __init__(self, config: dict):
        super().__init__()
        self._name = "StatusLayer"
        self.config_json = json.dumps(config, ensure_ascii=False)


def render_map(static_url: str, config: dict, centre: tuple[float, float],
               bounds: list[list[float]] | None = None,
               tile_layer: dict | None = None) -> dict[str, str]:
    """The map's header, body and script parts, for our own page template.

    Without `tile_layer` (config/portal.yml) there is no background: the map draws the
    city's own boundaries and works offline.
    """
    m = folium.Map(location=list(centre), zoom_start=12, tiles=None, control_scale=True,
                   min_zoom=10, max_zoom=18)
    if tile_layer and tile_layer.get("url"):
        folium.TileLayer(tiles=tile_layer["url"], attr=tile_layer.get("attribution", ""),
                         max_zoom=int(tile_layer.get("max_zoom", 18)), name="tiles").add_to(m)
    if bounds:  # portal-map.js opens there (or at the link's view) before any tile loads;
        config = {**config, "bounds": bounds}  # folium's fitBounds would animate over it
    # Instance-level override: only self-hosted Leaflet, no CDN (see NOTES.md).
    vectorgrid = f"{static_url}/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js"
    m.default_js = [("leaflet", f"{static_url}/vendor/leaflet/dist/leaflet.js"),
                    ("vectorgrid", vectorgrid),  # the areas come as vector tiles
                    ("portal_map", f"{static_url}/portal-map.js")]
    m.default_css = [("leaflet_css", f"{static_url}/vendor/leaflet/dist/leaflet.css")]
    StatusLayer(config).add_to(m)
    root = m.get_root()
    root.render()
    return {
        "header": _FOLIUM_PAGE_CHROME.sub("", root.header.render()),
        "html": root.html.render(),
        "script": root.script.render(),
    }
