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
    return _Writer(column, geom, srid).walk(node)


def _not(n) -> sql.Composable:
    return sql.SQL("NOT " if n.not_ else "")


class _Writer:
    """The filter AST as SQL, one small method per kind of node."""

    def __init__(self, column, geom: sql.Composable, srid: int):
        self.column, self.geom, self.srid = column, geom, srid

    def envelope(self, x1, y1, x2, y2) -> sql.Composable:
        return sql.SQL("ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), 28992)").format(
            *map(sql.Literal, (x1, y1, x2, y2, self.srid)))

    def val(self, v) -> sql.Composable:
        if isinstance(v, ast.Attribute):
            return self.geom if v.name in ("geometry", "geom") else self.column(v.name)
        if isinstance(v, values.Geometry):
            return sql.SQL("ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON({}), {}), 28992)").format(
                sql.Literal(json.dumps(v.geometry)), sql.Literal(self.srid))
        if isinstance(v, values.Envelope):
            return self.envelope(v.x1, v.y1, v.x2, v.y2)
        if type(v) in _ARITH:
            return sql.SQL("({} {} {})").format(self.val(v.lhs), sql.SQL(_ARITH[type(v)]),
                                                self.val(v.rhs))
        if isinstance(v, bool | int | float | str | dt.date | dt.datetime) or v is None:
            return sql.Literal(v)
        raise FilterError(f"unsupported value in filter: {v!r}")

    def walk(self, n) -> sql.Composable:
        if type(n) in _COMPARE:
            return sql.SQL("({} {} {})").format(self.val(n.lhs), sql.SQL(_COMPARE[type(n)]),
                                                self.val(n.rhs))
        if type(n) in _SPATIAL:
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(n)]), self.val(n.lhs),
                                                self.val(n.rhs))
        for kind, method in _NODES:
            if isinstance(n, kind):
                return method(self, n)
        raise FilterError(f"unsupported filter operation: {type(n).__name__}")

    def logical(self, n) -> sql.Composable:
        op = " AND " if isinstance(n, ast.And) else " OR "
        return sql.SQL("({})").format(sql.SQL(op).join([self.walk(n.lhs), self.walk(n.rhs)]))

    def negation(self, n) -> sql.Composable:
        return sql.SQL("(NOT {})").format(self.walk(n.sub_node))

    def between(self, n) -> sql.Composable:
        return sql.SQL("({} {}BETWEEN {} AND {})").format(
            self.val(n.lhs), _not(n), self.val(n.low), self.val(n.high))

    def like(self, n) -> sql.Composable:
        if not isinstance(n.pattern, str):
            raise FilterError("the pattern of a LIKE must be a text literal, "
                              f"not {type(n.pattern).__name__}")
        pattern = n.pattern.replace(n.wildcard, "%").replace(n.singlechar, "_")
        return sql.SQL("({}::text {}{} {})").format(
            self.val(n.lhs), _not(n), sql.SQL("ILIKE" if n.nocase else "LIKE"),
            sql.Literal(pattern))

    def member(self, n) -> sql.Composable:
        return sql.SQL("({} {}IN ({}))").format(
            self.val(n.lhs), _not(n), sql.SQL(", ").join(self.val(v) for v in n.sub_nodes))

    def is_null(self, n) -> sql.Composable:
        return sql.SQL("({} IS {}NULL)").format(self.val(n.lhs), _not(n))

    def bbox(self, n) -> sql.Composable:
        return sql.SQL("ST_Intersects({}, {})").format(
            self.val(n.lhs), self.envelope(n.minx, n.miny, n.maxx, n.maxy))

    def literal(self, n) -> sql.Composable:
        return sql.Literal(n)


_NODES = [(ast.And | ast.Or, _Writer.logical), (ast.Not, _Writer.negation),
          (ast.Between, _Writer.between), (ast.Like, _Writer.like), (ast.In, _Writer.member),
          (ast.IsNull, _Writer.is_null), (ast.BBox, _Writer.bbox), (bool, _Writer.literal)]
