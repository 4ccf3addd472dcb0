-- Views that pygeoapi publishes as collections (one row = one feature, stable text id).
CREATE VIEW monitor.buurten AS
-- CBS codes nest: buurt BU0518WWxx lies in wijk WK0518WW.
SELECT a.code AS id, a.code AS buurtcode, a.name AS buurtnaam,
       'WK' || substr(a.code, 3, 6) AS wijkcode, a.geom
FROM monitor.area a WHERE a.level = 'buurt';

CREATE VIEW monitor.wijken AS
SELECT a.code AS id, a.code AS wijkcode, a.name AS wijknaam, a.geom
FROM monitor.area a WHERE a.level = 'wijk';

CREATE VIEW monitor.stations AS
SELECT s.id, s.name, s.classification, s.geom FROM monitor.station s;

CREATE VIEW monitor.area_status AS
SELECT v.area_code || ':' || v.indicator || ':' || v.year AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       v.indicator, i.label_nl AS indicator_label_nl, i.label_en AS indicator_label_en,
       v.year, round(v.value::numeric, 2)::double precision AS value, i.unit_symbol AS unit,
       v.status, n.label_nl AS status_norm_nl, n.label_en AS status_norm_en,
       n.threshold AS status_norm_threshold,
       round(v.status_margin::numeric, 2)::double precision AS status_margin,
       dv.dataset || ' v' || dv.version AS source, dv.demo,
       a.geom
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code
JOIN monitor.indicator i ON i.code = v.indicator
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id;
