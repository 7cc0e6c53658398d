"""``field__any=[…]``: membership in a list, as one array parameter on PostgreSQL.

``field__in=[…]`` writes one placeholder per value, so every batch size is a
new statement for PostgreSQL to plan. ``field = ANY(%s::type[])`` is the same
statement whatever the list's length, so psycopg prepares it once (see
tokens.engine.prepared). Other databases get the ordinary IN list.

The list travels as one text parameter, an array literal (`array_parameter`)
the cast parses: psycopg would otherwise dump it element by element in Python,
which costs a cold batch more than its hashing.
"""

from django.db.models import Field, ForeignObject, Lookup


def array_parameter(values: list):
    """`values` as a PostgreSQL array literal, for a parameter cast to an array type.

    Every string is double-quoted, so commas, braces, spaces and the word NULL
    stay text; NUL is refused by PostgreSQL as in any text. A list of anything
    but strings or integers (booleans are not) is returned as it is, for
    psycopg to dump: the cast reads either.
    """
    if all(type(value) is str for value in values):
        if not values:
            return "{}"
        joined = "".join(values)
        if '"' in joined or "\\" in joined:  # inside double quotes, the only special characters
            values = [value.replace("\\", "\\\\").replace('"', '\\"') for value in values]
        return '{"' + '","'.join(values) + '"}'
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return values


# What a list compared with a column of each type is cast to: text[] for strings, as PostgreSQL
# infers for them. Other columns (char(n) would pad, a cast to varchar(n) truncate) keep psycopg's list.
ARRAY_TYPES = {
    "varchar": "text[]",
    "text": "text[]",
    "smallint": "smallint[]",
    "integer": "integer[]",
    "bigint": "bigint[]",
}


def array_type(field, connection) -> str | None:
    """The array type a list compared with `field` is cast to, or None to send psycopg's list as it is."""
    return ARRAY_TYPES.get((field.db_type(connection) or "").split("(")[0])


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs]
        if connection.vendor == "postgresql":
            cast = array_type(self.lhs.output_field, connection)
            if cast is None:
                return f"{lhs} = ANY(%s)", [*lhs_params, values]
            return f"{lhs} = ANY(%s::{cast})", [*lhs_params, array_parameter(values)]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations keep their own lookup registry
