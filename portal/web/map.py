"""The resident map: a folium map whose areas are fetched from our own OGC API.

folium's stock page loads Leaflet, jQuery and Bootstrap from CDNs and fails
basic accessibility checks, so we use folium for the map component only and
render its parts into our own page, with self-hosted Leaflet.
"""

from __future__ import annotations

import json
import re

import folium
from branca.element import MacroElement
from jinja2 import Template

# Paul Tol's high-contrast palette: distinguishable under colour-vision deficiency.
# Meaning is never carried by colour alone: every status also has a word and an icon.
STATUS = {
    "good": {"colour": "#004488", "text": "#ffffff", "icon": "✓", "nl": "goed", "en": "good"},
    "attention": {"colour": "#DDAA33", "text": "#000000", "icon": "!", "nl": "aandacht", "en": "attention"},
    "exceeds": {"colour": "#BB5566", "text": "#ffffff", "icon": "✕", "nl": "overschreden", "en": "exceeds"},
    "no_norm": {"colour": "#BBBBBB", "text": "#000000", "icon": "–", "nl": "geen norm", "en": "no norm"},
}
DEN_HAAG = (52.07, 4.29)
# folium's full-page styling and its zoom-blocking viewport tag (an axe failure):
# our page template sets its own layout and viewport.
_FOLIUM_PAGE_CHROME = re.compile(
    r'<meta name="viewport".*?/>|<style>\s*html, body \{.*?</style>|<style>#map \{.*?</style>',
    re.DOTALL)


class StatusLayer(MacroElement):
    """Fetches area status GeoJSON from the OGC API and colours it by status."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  const map = {{ this._parent.get_name() }};
  const status = {{ this.status_json }};
  const lang = {{ this.lang|tojson }};
  const box = document.getElementById("map-message");
  fetch({{ this.url|tojson }}, {headers: {"Accept": "application/geo+json"}})
    .then(r => { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(fc => {
      const layer = L.geoJSON(fc, {
        style: f => {
          const s = status[f.properties.status] || status.no_norm;
          return {color: "#222222", weight: 1, fillColor: s.colour, fillOpacity: 0.7,
                  dashArray: f.properties.status === "exceeds" ? "4 2" : null};
        },
        onEachFeature: (f, l) => {
          const p = f.properties, s = status[p.status] || status.no_norm;
          const norm = lang === "en" ? p.status_norm_en : p.status_norm_nl;
          const el = document.createElement("div");
          el.className = "tip";
          const lines = [
            p.area_name,
            (p.value === null ? "–" : p.value.toFixed(1)) + " " + p.unit + " (" + p.year + ")",
            (lang === "en" ? "Norm: " : "Norm: ") + (norm || "–"),
            s.icon + " " + s[lang] + (p.demo ? (lang === "en" ? " · demo data" : " · demodata") : "")
          ];
          lines.forEach((t, i) => { const d = document.createElement(i ? "div" : "strong");
                                    d.textContent = t; el.appendChild(d); });
          l.bindTooltip(el, {sticky: true});
          l.feature.properties._status = p.status;
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
      map.getContainer().dataset.features = String(fc.features.length);
      map.getContainer().dataset.ready = "true";
    })
    .catch(err => {
      box.textContent = (lang === "en" ? "The map data could not be loaded: "
                                       : "De kaartgegevens konden niet worden geladen: ") + err.message;
      box.hidden = false;
      map.getContainer().dataset.ready = "error";
    });
})();
{% endmacro %}
""")

    def __init__(self, url: str, lang: str):
        super().__init__()
        self._name = "StatusLayer"
        self.url = url
        self.lang = lang
        self.status_json = json.dumps(STATUS, ensure_ascii=False)


def render_map(static_url: str, data_url: str, lang: str) -> dict[str, str]:
    """The map's header, body and script parts, for our own page template."""
    m = folium.Map(location=DEN_HAAG, zoom_start=12, tiles=None, control_scale=True,
                   min_zoom=10, max_zoom=18)
    # Instance-level override: only self-hosted Leaflet, no CDN (see NOTES.md).
    m.default_js = [("leaflet", f"{static_url}/vendor/leaflet/dist/leaflet.js")]
    m.default_css = [("leaflet_css", f"{static_url}/vendor/leaflet/dist/leaflet.css")]
    StatusLayer(data_url, lang).add_to(m)
    root = m.get_root()
    root.render()
    return {
        "header": _FOLIUM_PAGE_CHROME.sub("", root.header.render()),
        "html": root.html.render(),
        "script": root.script.render(),
    }
