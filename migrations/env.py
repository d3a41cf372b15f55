"""Alembic environment: the URL is the node's POS_DATABASE_URL (or one a test hands in)."""
from logging.config import fileConfig

from alembic import context

from pos.db import Base, make_engine
import pos.models  # noqa: F401  (the store's tables on Base.metadata)
import sync.models  # noqa: F401  (sync's tables share the schema)
from sync.engine import models_own  # HQ's task engine keeps tables of its own (Procrastinate's)

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from pos import create_app
    return create_app().config["POS_DATABASE_URL"]


def render_item(type_, obj, autogen_context):
    """Migrations spell the plain column type, so they never depend on app code that may change."""
    from pos.types import UtcTimestamp
    if type_ == "type" and isinstance(obj, UtcTimestamp):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                          compare_type=True, render_item=render_item, include_name=models_own)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
