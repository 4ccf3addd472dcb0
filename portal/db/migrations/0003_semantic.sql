-- Linked data for the area-status collection: the IRIs of indicator, unit, theme and
-- every norm a value was judged against, so the JSON-LD of an item can link to the
-- vocabulary (portal/web/templates/ogc/collections/items/item.jsonld).
ALTER TABLE monitor.indicator ADD COLUMN IF NOT EXISTS unit_iri text;

CREATE OR REPLACE VIEW monitor.area_status AS
SELECT v.area_code || ':' || v.indicator || ':' || v.year AS id,
       a.code AS area_code, a.name AS area_name, a.level,
       v.indicator, i.label_nl AS indicator_label_nl, i.label_en AS indicator_label_en,
       v.year, round(v.value::numeric, 2)::double precision AS value, i.unit_symbol AS unit,
       v.status, n.label_nl AS status_norm_nl, n.label_en AS status_norm_en,
       n.threshold AS status_norm_threshold,
       round(v.status_margin::numeric, 2)::double precision AS status_margin,
       dv.dataset || ' v' || dv.version AS source, dv.demo,
       a.geom,
       i.iri AS indicator_iri, i.unit_iri, i.theme_iri,
       v.status_norm AS status_norm_iri,
       -- space-separated IRIs of every norm valid that year the value was assessed against
       (SELECT string_agg(na.norm_iri, ' ' ORDER BY na.norm_iri)
          FROM monitor.norm_assessment na
         WHERE na.area_code = v.area_code AND na.indicator = v.indicator
           AND na.year = v.year) AS norms
FROM monitor.indicator_value v
JOIN monitor.area a ON a.code = v.area_code
JOIN monitor.indicator i ON i.code = v.indicator
LEFT JOIN monitor.norm n ON n.iri = v.status_norm
LEFT JOIN monitor.dataset_version dv ON dv.id = v.dataset_version_id;
