"""Engine, metadata and the unit of work.

SQLite at a store must not lose a committed sale on a power cut: WAL with
synchronous=FULL, and every write transaction starts IMMEDIATE so a writer
never discovers "database is locked" halfway through (the worker writes too).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _make_sqlite_durable(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _make_sqlite_durable(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("pos_read_only"):
            conn.connection.dbapi_connection.execute("BEGIN")
            return
        # A basket edit lost to a power cut is rescanned; a sale is not: only sales and the
        # like pay for an fsync at commit (synchronous is per connection, so set it each time it changes).
        # On the driver's connection: every sale and scan begins here, and nothing here needs SQLAlchemy's
        # statement machinery (no parameters, no result).
        wanted = "NORMAL" if options.get("pos_relaxed") else "FULL"
        fairy = conn.connection
        driver = fairy.dbapi_connection
        if fairy.info.get("synchronous") != wanted:
            driver.execute(f"PRAGMA synchronous={wanted}")
            fairy.info["synchronous"] = wanted
        driver.execute("BEGIN IMMEDIATE")


class Database:
    """One per app: the engine and the session factories for writes and reads."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.engine.execution_options(pos_read_only=True), expire_on_commit=False)
        self._relaxed = sessionmaker(self.engine.execution_options(pos_relaxed=True), expire_on_commit=False)

    def unit_of_work(self, read_only: bool = False, durable: bool = True) -> "UnitOfWork":
        """read_only: a plain (deferred) transaction.  durable=False: for work that may be lost to a
        power cut without harm (a basket being rung up); committed without waiting for the disk."""
        if read_only:
            return UnitOfWork(self._reader)
        return UnitOfWork(self._writer if durable else self._relaxed)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """A business transaction: everything inside commits together or not at all."""

    def __init__(self, session_factory: sessionmaker):
        self._factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, exc_type, exc, tb):
        # close() ends any transaction not committed, without expiring what was loaded,
        # so objects read in a unit of work stay readable after it.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


_FAST_STATEMENTS: dict = {}


def fast_insert(connection, table, rows: list[dict]) -> None:
    """INSERT rows (dicts with the same keys) on the driver's cursor, skipping SQLAlchemy's per-call work.

    For the few inserts every sale makes: the statement and each column's bind processing (UUIDs,
    timestamps, JSON, per dialect) are prepared once, then the driver's executemany does the rest.
    The caller's transaction must have begun (any earlier statement on ``connection`` begins it)."""
    if not rows:
        return
    from sqlalchemy import bindparam, insert

    columns = tuple(rows[0])
    fast_execute_many(connection, ("insert", table.name, columns),
                      lambda: insert(table).values({name: bindparam(name, type_=table.c[name].type)
                                                    for name in columns}), rows)


def _plan(dialect, key: tuple, statement):
    """(sql, ((bind name, processor), ...), positional, result processors, fixed values) of statement(), made
    once per key and dialect: the SQL string, how each bind parameter goes in and each result column comes out."""
    plan = _FAST_STATEMENTS.get((dialect.name, key))
    if plan is None:
        compiled = statement().compile(dialect=dialect)
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
        processors = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                           for name in names)
        # values written into the statement (status == "open"): not the caller's to give
        fixed = {name: compiled.binds[name].effective_value for name in names if not compiled.binds[name].required}
        results = tuple(entry.type.dialect_impl(dialect).result_processor(dialect, None)
                        for entry in compiled._result_columns)
        plan = _FAST_STATEMENTS[(dialect.name, key)] = (str(compiled), processors, compiled.positional,
                                                       results if any(results) else None, fixed)
    return plan


def _cursor(connection):
    return connection.connection.dbapi_connection.cursor()


def fast_execute_many(connection, key: tuple, statement, rows: list[dict]) -> None:
    """Run statement() (made once per key and dialect; bind parameters named as the rows' keys) for
    every row on the driver's executemany.  A value repeated down a column (one timestamp for a whole
    batch) is converted once."""
    if not rows:
        return
    sql, processors, positional, _results, fixed = _plan(connection.dialect, key, statement)
    if fixed:
        rows = [{**fixed, **row} for row in rows]
    columns = []
    for name, process in processors:
        values = [row[name] for row in rows]
        if process is not None:
            last, converted, out = object(), None, []
            for value in values:
                if value is not last:
                    last, converted = value, process(value)
                out.append(converted)
            values = out
        columns.append(values)
    params = list(zip(*columns)) if positional else [dict(zip([n for n, _p in processors], row))
                                                    for row in zip(*columns)]
    cursor = _cursor(connection)
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def fast_execute(connection, key: tuple, statement, params: dict) -> tuple[list[tuple], int]:
    """Run statement() (made once per key and dialect) once on the driver's cursor: (rows, rowcount), each
    row a tuple of its columns converted as SQLAlchemy would (UUIDs, timestamps …).

    For the statements every scan and every sale runs, where SQLAlchemy's own per-call work (building the
    execution context, caching keys, result metadata) costs more than the database does.  The caller's
    transaction must have begun; the driver's own exceptions arrive unwrapped (pos.http knows them).  No
    expanding (IN) parameters: give each its own bind parameter."""
    sql, processors, positional, results, fixed = _plan(connection.dialect, key, statement)
    if fixed:
        params = {**fixed, **params}
    if positional:
        values = tuple(params[name] if process is None else process(params[name]) for name, process in processors)
    else:
        values = {name: params[name] if process is None else process(params[name]) for name, process in processors}
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, values)
        rows = cursor.fetchall() if cursor.description is not None else []
        count = cursor.rowcount
    finally:
        cursor.close()
    if results is not None and rows:
        rows = [tuple(value if process is None or value is None else process(value)
                      for process, value in zip(results, row)) for row in rows]
    return rows, count
