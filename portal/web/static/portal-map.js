/* Resident map of the Omgevingsmonitor: areas coloured by status, wijk when zoomed out,
   buurt when zoomed in; the theme switch recolours without reloading; a click asks the
   location check. Data come from our own API (/api/map, /api/location): no other host. */
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

    function levelForZoom() { return map.getZoom() >= cfg.buurtZoom ? "buurt" : "wijk"; }

    function url(level) {
      return cfg.api + "?indicator=" + encodeURIComponent(state.indicator) +
        "&year=" + encodeURIComponent(state.year) + "&level=" + level;
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

    function show(level) {
      const mine = ++state.seq;
      container.dataset.ready = "loading";
      return fetch(url(level), {headers: {"Accept": "application/geo+json"}})
        .then(r => { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(fc => {
          if (mine !== state.seq) { return fc; }
          if (state.layer) { map.removeLayer(state.layer); }
          state.layer = L.geoJSON(fc, {
            style: f => {
              const s = statusOf(f.properties);
              return {color: "#222222", weight: level === "wijk" ? 1.5 : 1, fillColor: s.colour,
                      fillOpacity: 0.7, dashArray: f.properties.status === "exceeds" ? "4 2" : null};
            },
            onEachFeature: (f, l) => { l.bindTooltip(tooltip(f.properties), {sticky: true}); }
          }).addTo(map);
          state.level = level;
          container.dataset.features = String(fc.features.length);
          container.dataset.level = level;
          container.dataset.indicator = state.indicator;
          container.dataset.year = String(state.year);
          if (!container.dataset.readyAt) { container.dataset.readyAt = String(Math.round(performance.now())); }
          container.dataset.ready = "true";
          box.hidden = true;
          return fc;
        })
        .catch(err => {
          box.textContent = t.map_failed + ": " + err.message;
          box.hidden = false;
          container.dataset.ready = "error";
        });
    }

    function fillTable(level, fc) {
      const body = document.getElementById("rows-" + level);
      if (!body || !fc) { return; }
      body.textContent = "";
      fc.features.slice().sort((a, b) => a.properties.name.localeCompare(b.properties.name))
        .forEach(f => {
          const p = f.properties, s = statusOf(p), tr = el("tr");
          const th = el("th"); th.scope = "row";
          const a = el("a", p.name); a.href = cfg.area + encodeURIComponent(p.code) + (cfg.lang === "en" ? "?lang=en" : "");
          th.appendChild(a); tr.appendChild(th);
          tr.appendChild(el("td", fmt(p.value) + (p.value === null ? "" : " " + p.unit)));
          const st = el("td"); const ic = el("span", s.icon + " "); ic.setAttribute("aria-hidden", "true");
          st.appendChild(ic); st.appendChild(document.createTextNode(s.label + (p.value === null ? "" : " (" + kindOf(p) + ")")));
          tr.appendChild(st);
          tr.appendChild(el("td", (cfg.lang === "en" ? p.norm_en : p.norm_nl) || "–"));
          tr.appendChild(el("td", p.margin === null ? "–" : (p.margin > 0 ? "+" : "") + fmt(p.margin)));
          body.appendChild(tr);
        });
    }

    function refreshTables() {
      ["wijk", "buurt"].forEach(level => {
        fetch(url(level)).then(r => r.ok ? r.json() : null).then(fc => fillTable(level, fc));
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

    window.OM.map = map;
    show(levelForZoom());
  }

  window.OM = {init: init};
})();
