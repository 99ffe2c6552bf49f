"""Persistence: SQLAlchemy tables, repositories returning frozen records, the unit of work."""
