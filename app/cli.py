"""`voxhub`: the one entry point for every Voxhub process.

Configuration errors end the process with one line naming the variable (exit code 2), never a
traceback: that line is what an operator sees in `kubectl logs` or `journalctl`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from app.config import ConfigError, Settings
from app.observability.standalone import prepare_worker_process


def _settings() -> Settings:
    return Settings.from_env()


def cmd_serve(args: argparse.Namespace) -> None:
    # Overrides go through the environment: Sanic's workers rebuild Settings from it.
    for flag, variable in (("host", "HOST"), ("port", "PORT"), ("workers", "WORKERS")):
        value = getattr(args, flag)
        if value is not None:
            os.environ[variable] = str(value)
    settings = _settings()
    from app.observability.multiproc import prepare_multiprocess_dir

    prepare_multiprocess_dir(settings.serve_metrics_dir)
    if settings.embedded or settings.sqlite:
        from app.db.migrate import migrate

        migrate(settings)

    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    from app.compat.sanic_lean_ws import LeanWebSocketProtocol
    from app.factory import create_app

    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        backlog=listen_backlog(settings.backlog),
        single_process=settings.embedded,
        protocol=LeanWebSocketProtocol,
        access_log=False,
        motd=False,
    )
    Sanic.serve(primary=app, app_loader=loader)


def listen_backlog(wanted: int, somaxconn: str = "/proc/sys/net/core/somaxconn") -> int:
    """BACKLOG, but no more than the kernel grants (it truncates silently otherwise)."""
    try:
        with open(somaxconn) as limit:
            return min(wanted, int(limit.read()))
    except (OSError, ValueError):
        return wanted


def cmd_migrate(args: argparse.Namespace) -> None:
    from app.db.migrate import migrate

    migrate(_settings())
    print("database migrated to head")


def cmd_token(args: argparse.Namespace) -> None:
    from app.auth.tokens import issue_token

    settings = _settings()
    print(issue_token(settings.jwt_secret, args.sub, args.role, args.ttl or settings.jwt_ttl))


def cmd_ai_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    # Before the worker's modules are imported: they declare metrics.
    prepare_worker_process(settings, "AI", args.metrics_port)
    from app.messenger.ai.worker import default_consumer_name
    from workers.ai.process import run

    run(settings, args.consumer or default_consumer_name(), args.concurrency)


def cmd_media_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    prepare_worker_process(settings, "media", args.metrics_port)
    from workers.media.process import run

    run(settings, args.worker_id)


def cmd_realtime_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    prepare_worker_process(settings, "realtime", args.metrics_port)
    from app.services import new_worker_id
    from workers.realtime.process import run

    run(settings, args.worker_id or new_worker_id())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxhub", description="Voxhub realtime backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API and WebSocket server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=cmd_migrate)

    ai_worker = commands.add_parser("ai-worker", help="answer AI advice and autoreply jobs")
    ai_worker.add_argument("--consumer", help="consumer name in the group (default host-pid)")
    ai_worker.add_argument("--concurrency", type=int, default=4, help="jobs answered at once")
    ai_worker.add_argument("--metrics-port", type=int, help="default METRICS_PORT; 0: off")
    ai_worker.set_defaults(handler=cmd_ai_worker)

    media_worker = commands.add_parser("media-worker", help="own WebRTC calls: echo and record")
    media_worker.add_argument("--metrics-port", type=int, help="default METRICS_PORT; 0: off")
    media_worker.add_argument("--worker-id", help="name in Redis (default host-pid-random)")
    media_worker.set_defaults(handler=cmd_media_worker)

    realtime_worker = commands.add_parser(
        "realtime-worker", help="hold metered Realtime calls' sidebands and charge them"
    )
    realtime_worker.add_argument("--metrics-port", type=int, help="default METRICS_PORT; 0: off")
    realtime_worker.add_argument(
        "--worker-id", help="lease owner in Redis (default host-pid-random)"
    )
    realtime_worker.set_defaults(handler=cmd_realtime_worker)

    token = commands.add_parser("token", help="print a signed JWT (operators, tests)")
    token.add_argument("--sub", required=True, help="user id, or a service's name")
    token.add_argument("--role", default="user", choices=["user", "anon", "service", "admin"])
    token.add_argument("--ttl", type=float, help="lifetime in seconds (default JWT_TTL)")
    token.set_defaults(handler=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except ConfigError as exc:
        print(f"voxhub: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
