"""`voxhub serve` with the media domain registered, for the media tests.

`app.factory.DOMAINS` does not list `app.media` yet; this adds it (in the server process and in
every Sanic worker process, which import this module to find the factory) and otherwise runs
the real `voxhub serve` command. Once the factory lists the domain this changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from sanic import Sanic

_original: Callable[[], Sanic] | None = None


def create_app() -> Sanic:
    from app import factory

    if "app.media" not in factory.DOMAINS:
        factory.DOMAINS = (*factory.DOMAINS, "app.media")
    return (_original or factory.create_app)()


if __name__ == "__main__":
    from app.config import Settings
    from app.observability.multiproc import prepare_multiprocess_dir

    # as `voxhub serve` does, before anything imports prometheus_client
    prepare_multiprocess_dir(Settings.from_env().metrics_dir)
    from app import factory
    from app.cli import main

    _original = factory.create_app
    factory.create_app = create_app  # what `voxhub serve` hands to Sanic's worker processes
    main(["serve", *sys.argv[1:]])
