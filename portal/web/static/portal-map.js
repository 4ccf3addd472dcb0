/* Resident map of the Omgevingsmonitor: areas coloured by status, wijk when zoomed out,
   buurt when zoomed in; the theme switch recolours without reloading; a click asks the
   location check. Data come from our own API (vector tiles of area-status, /api/location):
   no other host. */
(function () {
  "use strict";

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function fmt(v) { return v === null || v === undefined ? "–" : Number(v).toLocaleString(undefined, {maximumFractionDigits: 2}); }

  function init(map, cfg) {
    const state = {indicator: cfg.indicator, year: cfg.year, level: null, layer: null, seq: 0};
    const box = document.getElementById("map-message");
    const container = map.getContainer();
    const t = cfg.text;

    // the view is part of the link (?view=lat,lon,zoom): a shared map opens where it was,
    // else over the city; in one step and before the handlers below, so that only the
    // tiles of that view are fetched, and each once
    const view = (new URLSearchParams(window.location.search).get("view") || "").split(",").map(Number);
    if (view.length === 3 && view.every(Number.isFinite)) {
      map.setView([view[0], view[1]], view[2], {animate: false});
    } else if (cfg.bounds) {
      map.fitBounds(cfg.bounds, {animate: false});
    }

    function levelForZoom() { return map.getZoom() >= cfg.buurtZoom ? "buurt" : "wijk"; }

    // the tiles of one indicator, year and level (OGC API - Tiles, built by PostGIS and
    // cached per data version): the map fetches only what is in view, for a city or a country
    const FIELDS = "area_code,area_name,level,year,value,unit,status,status_norm_nl," +
      "status_norm_en,status_margin,demo,source_kind";
    function tileUrl(level) {
      return cfg.tiles + "/{z}/{y}/{x}?indicator=" + encodeURIComponent(state.indicator) +
        "&year=" + encodeURIComponent(state.year) + "&level=" + level + "&properties=" + FIELDS;
    }

    // a tile feature's properties under the names the tooltip and tables use
    function props(q) {
      return {code: q.area_code, name: q.area_name, level: q.level, year: q.year,
              value: q.value === undefined ? null : q.value, unit: q.unit, status: q.status,
              norm_nl: q.status_norm_nl, norm_en: q.status_norm_en,
              margin: q.status_margin === undefined ? null : q.status_margin,
              demo: q.demo === true || q.demo === "true", source_kind: q.source_kind};
    }

    function statusOf(p) { return cfg.status[p.status] || cfg.status.no_norm; }

    // what a value is: measured, modelled or demo (every value says it)
    function kindOf(p) { return p.demo ? t.demo_short : (cfg.kinds[p.source_kind] || ""); }

    function tooltip(p) {
      const s = statusOf(p);
      const d = el("div", null, "tip");
      d.appendChild(el("strong", p.name));
      d.appendChild(el("div", fmt(p.value) + " " + (p.value === null ? "" : p.unit) + " (" + p.year + ")"));
      const norm = cfg.lang === "en" ? p.norm_en : p.norm_nl;
      d.appendChild(el("div", t.norm_short + ": " + (norm || "–")));
      d.appendChild(el("div", s.icon + " " + s.label + " · " + kindOf(p)));
      return d;
    }

    const tip = L.tooltip({sticky: true, direction: "top", offset: [0, -8]});

    // under the status, every area of the level (its own collection's tiles), so that an
    // area without a value for this topic and year still shows, as "no data"
    function outlines(level) {
      if (!cfg.outlines[level]) { return null; }
      const none = cfg.status.no_data || cfg.status.no_norm;
      return L.vectorGrid.protobuf(cfg.outlines[level] + "/{z}/{y}/{x}?properties=id", {
        rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18,
        vectorTileLayerStyles: {[cfg.outlineLayers[level]]: () => ({
          fill: true, fillColor: none.colour, fillOpacity: 0.5, color: "#666666",
          weight: 0.5})}
      });
    }

    function show(level) {
      const mine = ++state.seq;
      const drawn = new Set();
      map.closeTooltip(tip);
      if (state.pending && state.pending !== state.layer) { map.removeLayer(state.pending); }
      container.dataset.ready = "loading";
      const status = L.vectorGrid.protobuf(tileUrl(level), {
        rendererFactory: L.svg.tile, interactive: true, maxNativeZoom: 18,
        getFeatureId: f => f.properties.area_code,
        vectorTileLayerStyles: {"area-status": q => {
          const p = props(q), s = statusOf(p);
          drawn.add(p.code);
          return {fill: true, fillColor: s.colour, fillOpacity: 0.7, color: "#222222",
                  weight: level === "wijk" ? 1.5 : 1, dashArray: p.status === "exceeds" ? "4 2" : null};
        }}
      });
      status.on("mouseover", e => { map.openTooltip(tip.setContent(tooltip(props(e.layer.properties))), e.latlng); });
      status.on("mousemove", e => { tip.setLatLng(e.latlng); });
      status.on("mouseout", () => { map.closeTooltip(tip); });
      const parts = [outlines(level), status].filter(Boolean);
      const layer = L.layerGroup(parts);
      let waiting = parts.length;
      parts.forEach(part => {
        part.on("tileerror", () => {
          box.textContent = t.map_failed;
          box.hidden = false;
          container.dataset.ready = "error";
        });
        part.once("load", () => {
          if (--waiting > 0 || mine !== state.seq) { return; }  // superseded: a newer show() removes it
          if (state.layer && state.layer !== layer) { map.removeLayer(state.layer); }
          state.layer = layer;
          state.level = level;
          container.dataset.features = String(drawn.size);
          container.dataset.codes = Array.from(drawn).sort().join(" ");
          container.dataset.level = level;
          container.dataset.indicator = state.indicator;
          container.dataset.year = String(state.year);
          if (!container.dataset.readyAt) { container.dataset.readyAt = String(Math.round(performance.now())); }
          if (container.dataset.ready !== "error") { container.dataset.ready = "true"; box.hidden = true; }
        });
      });
      state.pending = layer;
      layer.addTo(map);
    }

    // the tables under the map: the same page for the new topic renders them (one place)
    function refreshTables() {
      const q = new URLSearchParams(window.location.search);
      q.delete("view");  // the tables do not depend on the map's view
      fetch(window.location.pathname + "?" + q.toString())
        .then(r => r.ok ? r.text() : null)
        .then(html => {
          if (!html) { return; }
          const doc = new DOMParser().parseFromString(html, "text/html");
          ["wijk", "buurt"].forEach(level => {
            const mine = document.getElementById("rows-" + level);
            const fresh = doc.getElementById("rows-" + level);
            if (mine && fresh) { mine.replaceWith(fresh); }
          });
        });
    }

    map.on("zoomend", () => { const l = levelForZoom(); if (l !== state.level) { show(l); } });

    const form = document.getElementById("theme-form");
    if (form) {
      const pick = () => {
        state.indicator = form.elements.indicator.value;
        state.year = form.elements.year.value;
        const sel = form.elements.indicator.selectedOptions[0];
        const caption = document.getElementById("current-topic");
        if (caption && sel) { caption.textContent = sel.textContent + " – " + state.year; }
        const q = new URLSearchParams(window.location.search);
        q.set("indicator", state.indicator); q.set("year", state.year);
        window.history.replaceState(null, "", "?" + q.toString());
        show(levelForZoom());
        refreshTables();
      };
      form.elements.indicator.addEventListener("change", pick);
      form.elements.year.addEventListener("change", pick);
      form.addEventListener("submit", e => { e.preventDefault(); pick(); });
    }

    map.on("click", e => {
      const popup = L.popup({maxWidth: 360}).setLatLng(e.latlng)
        .setContent(el("p", t.checking)).openOn(map);
      const q = "lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6) +
        "&year=" + encodeURIComponent(state.year) + (cfg.lang === "en" ? "&lang=en" : "");
      fetch(cfg.location + "?" + q)
        .then(r => r.json().then(body => ({ok: r.ok, body: body})))
        .then(({ok, body}) => {
          const d = el("div", null, "location-popup");
          if (!ok) {
            d.appendChild(el("p", body.description, "error-text"));
            popup.setContent(d);
            return;
          }
          d.appendChild(el("h2", t.location));
          const where = [body.buurt && (t.buurt + ": " + body.buurt.name),
                         body.wijk && (t.wijk + ": " + body.wijk.name)].filter(Boolean).join(" · ");
          d.appendChild(el("p", where));
          const ul = el("ul");
          (body.indicators || []).forEach(i => {
            const s = cfg.status[i.status] || cfg.status.no_norm;
            const demo = (i.grid && i.grid.demo) || (i.station && i.station.demo) ? " (" + t.demo_short + ")" : "";
            ul.appendChild(el("li", (cfg.lang === "en" ? i.label_en : i.label_nl) + ": " + fmt(i.value) +
              " " + i.unit + " (" + i.year + ") – " + s.icon + " " + s.label + demo));
          });
          d.appendChild(ul);
          const a = el("a", t.full_report);
          a.href = body.permalink + (cfg.lang === "en" ? "&lang=en" : "");
          d.appendChild(a);
          popup.setContent(d);
        })
        .catch(err => popup.setContent(el("p", t.error + ": " + err.message)));
    });

    // Werkingsgebieden (zones of location-bound norms) as a layer the user can switch on.
    const zonesBox = document.getElementById("zones-toggle");
    let zones = null;
    if (zonesBox) {
      zonesBox.addEventListener("change", () => {
        if (!zonesBox.checked) { if (zones) { map.removeLayer(zones); } return; }
        if (zones) { zones.addTo(map); return; }
        fetch(zonesBox.dataset.url, {headers: {"Accept": "application/geo+json"}})
          .then(r => { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
          .then(fc => {
            zones = L.geoJSON(fc, {
              style: {color: "#000000", weight: 2.5, dashArray: "6 4", fill: false},
              onEachFeature: (f, l) => {
                const p = f.properties;
                l.bindTooltip(p.naam + " (" + p.soort + ", " + p.geldig_vanaf +
                              (p.geldig_tot ? " – " + p.geldig_tot : "") + ")", {sticky: true});
              }
            });
            if (zonesBox.checked) { zones.addTo(map); }
            container.dataset.zones = String(fc.features.length);
          })
          .catch(err => { box.textContent = t.error + ": " + err.message; box.hidden = false; });
      });
    }

    // Measuring stations: annual mean, data capture and status, as a layer to switch on.
    const stationsBox = document.getElementById("stations-toggle");
    let stations = null;
    function stationPopup(p) {
      const s = statusOf(p);
      const d = el("div", null, "station-popup");
      d.appendChild(el("strong", p.name + " (" + p.station + ")"));
      if (p.classification) { d.appendChild(el("div", p.classification)); }
      if (p.zone_code) { d.appendChild(el("div", t.eu_zone + ": " + p.zone_code + " " + (p.zone_name || ""))); }
      const value = p.value === null ? "" : fmt(p.value) + " " + p.unit + " – ";
      d.appendChild(el("div", value + s.icon + " " + s.label + " (" + p.year + ", " + kindOf(p) + ")"));
      d.appendChild(el("div", t.capture + ": " + fmt(p.capture) + " %"));
      if (p.exceedances !== null && p.exceedances !== undefined) {
        const norm = cfg.lang === "en" ? p.exceedance_norm_en : p.exceedance_norm_nl;
        d.appendChild(el("div", norm + ": " + p.exceedances + " (" + p.exceedances_allowed + " " + t.allowed + ")"));
      }
      return d;
    }
    function showStations() {
      if (stations) { map.removeLayer(stations); stations = null; }
      if (!stationsBox || !stationsBox.checked) { return; }
      const q = "?indicator=" + encodeURIComponent(state.indicator) + "&year=" + encodeURIComponent(state.year);
      fetch(cfg.stations + q, {headers: {"Accept": "application/geo+json"}})
        .then(r => { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(fc => {
          stations = L.geoJSON(fc, {
            pointToLayer: (f, latlng) => {
              const s = statusOf(f.properties);
              return L.circleMarker(latlng, {radius: 9, color: "#000000", weight: 2,
                                             fillColor: s.colour, fillOpacity: 1});
            },
            onEachFeature: (f, l) => { l.bindPopup(stationPopup(f.properties)); }
          }).addTo(map);
          container.dataset.stations = String(fc.features.length);
        })
        .catch(err => { box.textContent = t.error + ": " + err.message; box.hidden = false; });
    }
    if (stationsBox) { stationsBox.addEventListener("change", showStations); }
    if (form) {
      form.elements.indicator.addEventListener("change", showStations);
      form.elements.year.addEventListener("change", showStations);
    }

    map.on("moveend", () => {
      const c = map.getCenter(), q = new URLSearchParams(window.location.search);
      q.set("view", c.lat.toFixed(5) + "," + c.lng.toFixed(5) + "," + map.getZoom());
      window.history.replaceState(null, "", "?" + q.toString());
    });

    window.OM.map = map;
    show(levelForZoom());
  }

  window.OM = {init: init};
})();
