"""INSERT … ON CONFLICT DO NOTHING on either database: the row went in (True) or was there already."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_once(session, model, values: dict, conflict: list[str]) -> bool:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
                 .returning(*[getattr(model, column) for column in conflict]))
    return session.execute(statement).first() is not None
