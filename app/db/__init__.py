"""Storage: SQLAlchemy Core tables, Alembic migrations and the per-worker `databases` pool."""

from app.db.database import Database, connect_database, create_database, open_database

__all__ = ["Database", "connect_database", "create_database", "open_database"]
