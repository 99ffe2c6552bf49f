"""docs/deploy/citus.sql fits the migrated schema: every table is in it, and every key of a
distributed table carries its distribution column, as Citus requires.

Citus refuses to distribute a table whose primary key or unique constraint lacks the
distribution column, and a foreign key between distributed tables that does not pair their
distribution columns; a reference table cannot point into a distributed one. There is no
Citus here: the schema is read back (SQLAlchemy's inspector, on SQLite or on PostgreSQL with
CASHMIX_TEST_DATABASE_URL) and checked for that rule, and tables.py for the same keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint, inspect

from kiosk_service.persistence.tables import Base

CITUS_SQL = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "citus.sql"
DISTRIBUTE = re.compile(r"create_distributed_table\(\s*'(\w+)'\s*,\s*'(\w+)'\s*"
                        r"(?:,\s*colocate_with\s*=>\s*'(\w+)'\s*)?\)")
REFERENCE = re.compile(r"create_reference_table\(\s*'(\w+)'\s*\)")
#: Alembic's own table stays a plain table on the coordinator (citus.sql says so).
LOCAL = {"alembic_version"}


@dataclass(frozen=True)
class Layout:
    """What citus.sql does: table -> distribution column, table -> the table it is
    co-located with, and the reference tables."""

    distributed: dict[str, str]
    colocated: dict[str, str | None]
    reference: frozenset[str]


@dataclass(frozen=True)
class Keys:
    """One table's primary key, unique keys and foreign keys (columns, parent, its columns)."""

    primary: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]
    foreign: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...]


def read_layout(text: str) -> Layout:
    """Return the layout of a Citus script (comments skipped)."""
    sql = re.sub(r"--[^\n]*", "", text)
    distributed = {t: c for t, c, _ in DISTRIBUTE.findall(sql)}
    colocated = {t: with_ or None for t, _, with_ in DISTRIBUTE.findall(sql)}
    return Layout(distributed, colocated, frozenset(REFERENCE.findall(sql)))


def migrated_keys(inspector, table: str) -> Keys:
    """Return the keys of `table` as the database has them (unique indexes count as keys)."""
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
    unique |= {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
    return Keys(tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
                tuple(sorted(unique)),
                tuple(sorted((tuple(f["constrained_columns"]), f["referred_table"],
                              tuple(f["referred_columns"]))
                             for f in inspector.get_foreign_keys(table))))


def model_keys(table) -> Keys:
    """Return the keys tables.py declares for `table`."""
    return Keys(tuple(c.name for c in table.primary_key.columns),
                tuple(sorted(tuple(c.name for c in u.columns) for u in table.constraints
                             if isinstance(u, UniqueConstraint))),
                tuple(sorted((tuple(c.name for c in f.columns), f.referred_table.name,
                              tuple(e.column.name for e in f.elements))
                             for f in table.constraints if isinstance(f, ForeignKeyConstraint))))


def key_problems(layout: Layout, keys: dict[str, Keys]) -> list[tuple[str, str, tuple]]:
    """Return (table, rule, key) for each key Citus would refuse, and for each primary key that
    does not start with the distribution column (our rule: one terminal's rows are one index
    range). Rules: primary, unique, foreign (to a local table, or not pairing the
    distribution columns), reference (a reference table pointing elsewhere)."""
    problems = []
    for table, column in layout.distributed.items():
        if keys[table].primary[:1] != (column,):
            problems.append((table, "primary", keys[table].primary))
        problems += [(table, "unique", u) for u in keys[table].unique if column not in u]
        for columns, parent, parent_columns in keys[table].foreign:
            if parent in layout.reference:
                continue
            if parent not in layout.distributed or (column, layout.distributed[parent]) \
                    not in zip(columns, parent_columns, strict=True):
                problems.append((table, "foreign", (columns, parent, parent_columns)))
    for table in layout.reference:
        problems += [(table, "reference", key) for key in keys[table].foreign
                     if key[1] not in layout.reference]
    return problems


def test_citus_sql_names_every_table_of_the_schema_and_nothing_else(app):
    layout = read_layout(CITUS_SQL.read_text())
    inspector = inspect(app.extensions["cashmix"].engine)
    tables = set(inspector.get_table_names()) - LOCAL
    assert not set(layout.distributed) & layout.reference
    assert set(layout.distributed) | layout.reference == tables
    for table, column in layout.distributed.items():
        assert column in {c["name"] for c in inspector.get_columns(table)}, table


def test_the_migrated_keys_follow_the_citus_rule(app):
    layout = read_layout(CITUS_SQL.read_text())
    inspector = inspect(app.extensions["cashmix"].engine)
    keys = {table: migrated_keys(inspector, table) for table in inspector.get_table_names()}
    assert key_problems(layout, keys) == []


def test_distributed_tables_are_colocated_on_one_column_type(app):
    layout = read_layout(CITUS_SQL.read_text())
    inspector = inspect(app.extensions["cashmix"].engine)
    types = {table: {c["name"]: str(c["type"]) for c in inspector.get_columns(table)}[column]
             for table, column in layout.distributed.items()}
    assert layout.colocated == {table: None if table == "terminals" else "terminals"
                                for table in layout.distributed}
    assert set(types.values()) == {types["terminals"]}


def test_the_rule_finds_keys_without_the_terminal():
    layout = Layout({"terminals": "id", "quotes": "terminal_id", "dispenses": "terminal_id",
                     "journal": "terminal_id"},
                    {"terminals": None, "quotes": "terminals", "dispenses": "terminals",
                     "journal": "terminals"},
                    frozenset({"api_keys"}))
    keys = {"terminals": Keys(("id",), (), ()),
            "quotes": Keys(("id", "terminal_id"), (), ()),
            "dispenses": Keys(("terminal_id", "id"), (("quote_id",),),
                              ((("quote_id",), "quotes", ("id",)),
                               (("terminal_id",), "terminals", ("id",)))),
            "journal": Keys(("terminal_id", "id"), (),
                            ((("terminal_id",), "audit_log", ("terminal_id",)),)),
            "api_keys": Keys(("id",), (), ((("terminal_id",), "terminals", ("id",)),))}
    assert [(table, rule) for table, rule, _ in key_problems(layout, keys)] == [
        ("quotes", "primary"), ("dispenses", "unique"), ("dispenses", "foreign"),
        ("journal", "foreign"), ("api_keys", "reference")]


def test_the_models_declare_the_migrated_keys(app):
    # Alembic's compare_metadata (test_api_migrations.py) does not compare primary keys.
    inspector = inspect(app.extensions["cashmix"].engine)
    for table in Base.metadata.sorted_tables:
        migrated = migrated_keys(inspector, table.name)
        declared = model_keys(table)
        # PostgreSQL reports a unique constraint's index as a unique index too.
        assert (declared.primary, declared.foreign) == (migrated.primary, migrated.foreign)
        assert set(declared.unique) == set(migrated.unique), table.name
