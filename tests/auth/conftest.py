from tests.accounts.client import api, pg_api  # noqa: F401  (fixtures)
