-- Gemeenten as a collection of their own, beside wijken and buurten: a monitor that loads
-- gemeenten (the national scale set: 342) publishes them, with their tiles. A city that
-- loads only its wijken and buurten has its own row here (the city row of compute).
CREATE VIEW monitor.gemeenten AS
SELECT a.code AS id, a.code AS gemeentecode, a.name AS gemeentenaam, a.geom
FROM monitor.area a WHERE a.level = 'gemeente';
