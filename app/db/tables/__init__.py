"""SQLAlchemy Core tables, one module per domain, all on one `MetaData` for Alembic.

Import a domain's tables from its module (`from app.db.tables.users import users`). Every
module in this package is imported here so that `metadata` is complete for migrations and
tests, without a list to keep in step.
"""

import importlib
import pkgutil

from app.db.tables.base import metadata

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["metadata"]
