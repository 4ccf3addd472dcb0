"""CQL2 (text and JSON) to SQL, through pygeofilter's parsers and psycopg's composition.

Properties become quoted identifiers checked against the collection's columns;
every value becomes a literal escaped by psycopg. No text of the request is
ever pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text


class FilterError(ValueError):
    """The filter is invalid; the message says why (HTTP 400)."""


def parse(text: str | dict, lang: str) -> ast.Node:
    try:
        if lang == "cql2-json":
            return parse_json(text if isinstance(text, dict) else json.loads(text))
        return parse_text(text)
    except Exception as exc:  # noqa: BLE001 - the parsers raise many types; all mean "invalid"
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FilterError(f"invalid {lang}: {msg}") from None


_COMPARE = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
            ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_SPATIAL = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
            ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
            ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
            ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mul: "*", ast.Div: "/"}


def to_sql(node, column: Callable[[str], sql.Composable], geom: sql.Composable,
           srid: int) -> sql.Composable:
    """`column(name)` returns the column for a queryable or raises FilterError."""

    def val(v) -> sql.Composable:
        if isinstance(v, ast.Attribute):
            return geom if v.name in ("geometry", "geom") else column(v.name)
        if isinstance(v, values.Geometry):
            return sql.SQL("ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON({}), {}), 28992)").format(
                sql.Literal(json.dumps(v.geometry)), sql.Literal(srid))
        if isinstance(v, values.Envelope):
            return sql.SQL("ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), 28992)").format(
                *map(sql.Literal, (v.x1, v.y1, v.x2, v.y2, srid)))
        if type(v) in _ARITH:
            return sql.SQL("({} {} {})").format(val(v.lhs), sql.SQL(_ARITH[type(v)]), val(v.rhs))
        if isinstance(v, bool | int | float | str | dt.date | dt.datetime) or v is None:
            return sql.Literal(v)
        raise FilterError(f"unsupported value in filter: {v!r}")

    def walk(n) -> sql.Composable:
        if isinstance(n, ast.And | ast.Or):
            op = " AND " if isinstance(n, ast.And) else " OR "
            return sql.SQL("({})").format(sql.SQL(op).join([walk(n.lhs), walk(n.rhs)]))
        if isinstance(n, ast.Not):
            return sql.SQL("(NOT {})").format(walk(n.sub_node))
        if type(n) in _COMPARE:
            return sql.SQL("({} {} {})").format(val(n.lhs), sql.SQL(_COMPARE[type(n)]), val(n.rhs))
        if isinstance(n, ast.Between):
            return sql.SQL("({} {}BETWEEN {} AND {})").format(
                val(n.lhs), sql.SQL("NOT " if n.not_ else ""), val(n.low), val(n.high))
        if isinstance(n, ast.Like):
            op = "ILIKE" if n.nocase else "LIKE"
            pattern = n.pattern.replace(n.wildcard, "%").replace(n.singlechar, "_")
            return sql.SQL("({}::text {}{} {})").format(
                val(n.lhs), sql.SQL("NOT " if n.not_ else ""), sql.SQL(op), sql.Literal(pattern))
        if isinstance(n, ast.In):
            return sql.SQL("({} {}IN ({}))").format(
                val(n.lhs), sql.SQL("NOT " if n.not_ else ""),
                sql.SQL(", ").join(val(v) for v in n.sub_nodes))
        if isinstance(n, ast.IsNull):
            return sql.SQL("({} IS {}NULL)").format(val(n.lhs), sql.SQL("NOT " if n.not_ else ""))
        if type(n) in _SPATIAL:
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(n)]), val(n.lhs), val(n.rhs))
        if isinstance(n, ast.BBox):
            env = sql.SQL("ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), 28992)").format(
                *map(sql.Literal, (n.minx, n.miny, n.maxx, n.maxy, srid)))
            return sql.SQL("ST_Intersects({}, {})").format(val(n.lhs), env)
        if isinstance(n, bool):
            return sql.Literal(n)
        raise FilterError(f"unsupported filter operation: {type(n).__name__}")

    return walk(node)
