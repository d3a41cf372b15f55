"""Alembic is the only way the schema changes: one head, and head equals the models."""
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

import pos.models  # noqa: F401
import sync.models  # noqa: F401
from pos.db import Base
from sync.engine import models_own
from tests.conftest import ROOT


def test_there_is_exactly_one_head():
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1, f"two Alembic heads: {script.get_heads()}; merge them"


def test_migrations_produce_exactly_the_models_schema(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": models_own})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
