"""Alembic migrations of the Cashmix schema."""
