"""Migrations: Alembic's schema is the models' schema, and it downgrades cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kiosk_service.persistence.migrate import alembic_config, upgrade_database
from kiosk_service.persistence.tables import Base


def test_the_migrations_build_exactly_the_models(app):
    engine = app.extensions["cashmix"].engine
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_downgrade_and_upgrade_again(app):
    engine = app.extensions["cashmix"].engine
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not inspect(engine).has_table("quotes")
    upgrade_database(engine)
    assert inspect(engine).has_table("quotes")
