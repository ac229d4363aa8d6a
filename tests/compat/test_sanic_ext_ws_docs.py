"""/ws's OpenAPI alias: sanic-ext's private OperationStore still behaves as the patch needs."""

import sanic_ext
from sanic_ext.extensions.openapi.builders import OperationStore

from app.compat.sanic_ext_ws_docs import SUPPORTED


def test_operation_store_is_a_shared_mapping_keyed_by_handler() -> None:
    assert sanic_ext.__version__.startswith(SUPPORTED)

    def handler() -> None: ...

    def alias() -> None: ...

    store = OperationStore()
    store[handler].summary = "documented"
    assert handler in store and OperationStore() is store  # one store per process
    store[alias] = store[handler]
    assert OperationStore()[alias] is store[handler]
