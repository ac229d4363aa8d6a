"""`GET /` (the landing page) and `GET /web/<file>` (the pages, their modules and styles).

Only the files shipped in `static/` are served, looked up by name in a table built once at
import, so no request path ever reaches the filesystem. The pages change with the server's
release, so browsers revalidate them (Sanic's `file` sends `no-cache` with `Last-Modified`)
instead of running a stale module against a newer server.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file

from app.errors import not_found, too_many
from app.http.bodies import ErrorBody, document
from app.services import services_of

STATIC = Path(__file__).with_name("static")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

FILES: dict[str, Path] = {
    path.name: path for path in STATIC.iterdir() if path.suffix in CONTENT_TYPES
}

HEADERS = {"X-Content-Type-Options": "nosniff"}

bp = Blueprint("web")


@bp.on_request
async def rate_limit(request: Request) -> None:
    """Public files, limited per client address like every public route (a page is about
    four files), on a key of their own so that page loads never spend an API budget."""
    address = request.remote_addr or request.ip
    if not await services_of(request.app).limiter.allow(f"web:ip:{address}"):
        raise too_many("too many requests", retry_after=60)


async def _send(name: str) -> HTTPResponse:
    path = FILES.get(name)
    if path is None:
        raise not_found(f"no page named {name!r}")
    return await file(path, mime_type=CONTENT_TYPES[path.suffix], headers=HEADERS)


@bp.get("/")
@document(
    "The landing page: live /health and /stats, links to every page",
    responses={200: {"text/html": str}, 429: ErrorBody},
    public=True,
    tag="web",
)
async def landing(request: Request) -> HTTPResponse:
    return await _send("index.html")


@bp.get("/web/<name:str>")
@document(
    "A page of the web client, or one of its modules or styles",
    responses={
        200: {"text/html": str, "text/javascript": str, "text/css": str},
        404: ErrorBody,
        429: ErrorBody,
    },
    public=True,
    tag="web",
)
async def page(request: Request, name: str) -> HTTPResponse:
    return await _send(name)
