"""Run Alembic migrations programmatically (`voxhub migrate`, migrate-on-start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.config import Settings
from app.db.urls import sqlite_path

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(settings: Settings, revision: str = "heads") -> None:
    """Upgrade to every domain's head. Blocking: call it before the event loop starts."""
    path = sqlite_path(settings.database_url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), revision)
