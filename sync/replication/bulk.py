"""HQ side: write a batch's rows for one table in one go, inside the caller's transaction.

On PostgreSQL the rows go in with COPY on the session's own connection: the same transaction as the rest
of the batch (the applied_change rows included), so a batch is still in entirely or not at all, and COPY
costs the server and psycopg far less per row than an INSERT each.  Elsewhere (SQLite) one Core
executemany does the same job.

COPY fills an unnamed column from the database's default only, never from SQLAlchemy's Python-side
default, so a table is refused here unless every column it leaves out may be left to the database."""
from __future__ import annotations

from functools import lru_cache

from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY


class Columns:
    """The columns a caller fills, in the order of its row tuples, with the statements built once."""

    def __init__(self, table: Table, names: tuple[str, ...]):
        self.table, self.names = table, names
        left_out = [c for c in table.columns if c.name not in names]
        unfillable = [c.name for c in left_out if c.server_default is None and (c.default is not None
                                                                                 or not c.nullable)]
        if unfillable:
            raise ValueError(f"{table.name}: COPY would leave {unfillable} without their defaults; name them")
        self.insert = insert(table)
        self.copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(n) for n in names))
        self.json_at = [i for i, n in enumerate(names) if isinstance(table.c[n].type, JSON)
                        or isinstance(getattr(table.c[n].type, "impl", None), JSON)]


@lru_cache(maxsize=None)
def columns(table: Table, names: tuple[str, ...]) -> Columns:
    return Columns(table, names)


def write(session, table: Table, names: tuple[str, ...], rows: list[tuple]) -> int:
    if not rows:
        return 0
    spec = columns(table, names)
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(spec.insert, [dict(zip(names, row)) for row in rows])
        return len(rows)
    if spec.json_at:
        rows = [_wrap_json(row, spec.json_at) for row in rows]
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(spec.copy) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _wrap_json(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for i in positions:
        if values[i] is not None:
            values[i] = Jsonb(values[i])
    return tuple(values)


def among(session, column, values):
    """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter, so a batch's 500 ids make
    the same statement every time (parsed and planned once) rather than a new 500-placeholder text."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)
