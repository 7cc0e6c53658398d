"""Querysets compiled to SQL once, then run with fresh parameters.

The access check runs the same few query shapes thousands of times a second,
and compiling an annotated queryset costs the ORM several times what the
database needs to answer it. A `PreparedQuery` builds its queryset once per
database connection settings with stand-in values, remembers the SQL, where
each stand-in landed among the parameters, and the ORM's converters for the
selected columns (JSON, booleans, datetimes on SQLite), and from then on only
substitutes the real values. The SQL and the converted rows are exactly what
the queryset itself would have produced.
"""

import itertools
import threading

from django.db import DEFAULT_DB_ALIAS, connections


class PreparedQuery:
    """`build(**params)` must return a `values_list` queryset.

    `params` names each parameter's type: ``int``, ``str`` or ``list`` (of str).
    """

    _stand_ins = itertools.count(1)

    def __init__(self, build, **params):
        self.build = build
        self.params = params
        self._compiled = {}
        self._lock = threading.Lock()

    def _stand_in(self, kind, size):
        number = next(self._stand_ins)
        if kind is int:
            return -(10**15) - number
        if kind is str:
            return f"\x00stand-in-{number}\x00"
        return [f"\x00stand-in-{number}-{n}\x00" for n in range(size)]

    def _compile(self, connection, values):
        stand_ins = {
            name: self._stand_in(kind, len(values[name]) if kind is list else 0) for name, kind in self.params.items()
        }
        where = {}
        for name, value in stand_ins.items():
            if isinstance(value, list):
                where.update({item: (name, index) for index, item in enumerate(value)})
            else:
                where[value] = (name, None)
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = [
            ("stand-in", *where[param]) if isinstance(param, (int, str)) and param in where else ("constant", param)
            for param in params
        ]
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        return sql, slots, compiler, converters

    def rows(self, using=DEFAULT_DB_ALIAS, **values) -> list[tuple]:
        connection = connections[using]
        key = (connection.vendor, using, tuple(len(values[name]) for name, kind in self.params.items() if kind is list))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(connection, values)
                self._compiled[key] = compiled
        sql, slots, compiler, converters = compiled
        params = []
        for slot in slots:
            if slot[0] == "constant":
                params.append(slot[1])
            else:
                _, name, index = slot
                params.append(values[name] if index is None else values[name][index])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        return rows
