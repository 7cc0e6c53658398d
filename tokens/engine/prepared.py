"""Querysets compiled to SQL once, then run with fresh parameters.

The access check runs the same few query shapes thousands of times a second,
and compiling an annotated queryset costs the ORM several times what the
database needs to answer it. A `PreparedQuery` builds its queryset once per
database with stand-in values, remembers the SQL, where each stand-in landed
among the parameters, and the ORM's converters for the selected columns (JSON,
booleans, datetimes on SQLite), and from then on only substitutes the real
values. The SQL and the converted rows are exactly what the queryset itself
would have produced.

A build may return two querysets instead of one: their rows side by side in
one statement, the second LEFT JOINed to each row of the first (NULLs where it
has none) — two lookups for the price of one round trip.

List parameters used with ``__any`` (tokens.lookups) are one array parameter
on PostgreSQL (an array literal, `array_parameter`), so one compiled statement
serves every length there; elsewhere they expand to one placeholder per value
and are compiled once per length.
"""

import itertools
import threading
from dataclasses import dataclass, replace

from django.db import DEFAULT_DB_ALIAS, connections

from ..lookups import array_parameter


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list  # ("constant", value), ("stand-in", name, index or None) or ("array", name)
    compiler: object
    converters: dict
    sized: bool  # the SQL depends on the lengths of list parameters


def statement_cursor(connection):
    """The connection's kept cursor where its backend has one (config/postgresql), else a new one."""
    kept = getattr(connection, "statement_cursor", None)
    return connection.cursor() if kept is None else kept()


class PreparedQuery:
    """`build(**params)` must return a `values_list` queryset, or two of them.

    `params` names each parameter's type: ``int``, ``str``, or a list of one
    of them: ``[int]``, ``[str]``.
    """

    _stand_ins = itertools.count(1)

    def __init__(self, build, **params):
        self.build = build
        self.params = params
        self._compiled = {}
        self._lock = threading.Lock()

    def _stand_in(self, kind, size):
        if isinstance(kind, list):
            return [self._stand_in(kind[0], 0) for _ in range(size)]
        number = next(self._stand_ins)
        return -(10**15) - number if kind is int else f"\x00stand-in-{number}\x00"

    def _compile(self, connection, values, least=1) -> _Compiled:
        # A list of one stand-in at least: two empty lists would look alike as
        # array parameters. A statement the lengths shape is compiled again for
        # the lengths themselves.
        stand_ins = {
            name: self._stand_in(kind, max(least, len(values[name])) if isinstance(kind, list) else 0)
            for name, kind in self.params.items()
        }
        literals = {
            array_parameter(value): name
            for name, value in stand_ins.items()
            if isinstance(value, list) and isinstance(array_parameter(value), str)
        }
        where = {}
        for name, value in stand_ins.items():
            if isinstance(value, list):
                where.update({item: (name, index) for index, item in enumerate(value)})
            else:
                where[value] = (name, None)
        built = self.build(**stand_ins)
        sql, params, converters, width = [], [], {}, 0
        for queryset in built if isinstance(built, tuple) else (built,):
            compiler = queryset.query.get_compiler(connection=connection)
            part_sql, part_params = compiler.as_sql()
            sql.append(part_sql)
            params.extend(part_params)
            part_converters = compiler.get_converters([column for column, _, _ in compiler.select])
            converters.update({width + index: converter for index, converter in part_converters.items()})
            width += len(compiler.select)
        if len(sql) == 2:
            # Only the two compiled statements are interpolated; values travel as parameters.
            sql = [f"SELECT * FROM ({sql[0]}) AS first_part LEFT JOIN ({sql[1]}) AS second_part ON 1 = 1"]  # noqa: S608  # nosec B608
        sql = sql[0]
        slots = []
        for param in params:
            whole = [name for name, value in stand_ins.items() if isinstance(param, list) and value == param]
            if whole:
                slots.append(("stand-in", whole[0], None))
            elif isinstance(param, str) and param in literals:
                slots.append(("array", literals[param]))
            elif isinstance(param, (int, str)) and param in where:
                slots.append(("stand-in", *where[param]))
            else:
                slots.append(("constant", param))
        sized = any(slot[0] == "stand-in" and slot[2] is not None for slot in slots)
        if sized and least and any(isinstance(kind, list) and not values[name] for name, kind in self.params.items()):
            # (The lengths shape it even where an empty list leaves no placeholder.)
            return replace(self._compile(connection, values, least=0), sized=True)
        return _Compiled(sql, slots, compiler, converters, sized)

    def _lookup(self, connection, using, values) -> _Compiled:
        unsized_key = (connection.vendor, using)
        compiled = self._compiled.get(unsized_key)
        if compiled is not None and not compiled.sized:
            return compiled
        lengths = tuple(len(values[name]) for name, kind in self.params.items() if isinstance(kind, list))
        sized_key = (*unsized_key, lengths)
        compiled = self._compiled.get(sized_key)
        if compiled is None:
            with self._lock:
                compiled = self._compile(connection, values)
                self._compiled[sized_key if compiled.sized else unsized_key] = compiled
        return compiled

    def rows(self, using=DEFAULT_DB_ALIAS, **values) -> list[tuple]:
        connection = connections[using]
        compiled = self._lookup(connection, using, values)
        params = []
        for slot in compiled.slots:
            if slot[0] == "constant":
                params.append(slot[1])
            elif slot[0] == "array":
                params.append(array_parameter(values[slot[1]]))
            else:
                _, name, index = slot
                params.append(values[name] if index is None else values[name][index])
        with statement_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return rows
