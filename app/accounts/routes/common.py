"""What every accounts route starts with: the worker's accounts service and the user it acts on."""

from __future__ import annotations

from sanic import Request

from app.accounts.service import Accounts
from app.auth.guards import resolve_user_id
from app.db.coalesced_reads import Row
from app.errors import bad_request, not_found
from app.services import services_of


def accounts(request: Request) -> Accounts:
    return services_of(request.app).get(Accounts)


def query_user_id(request: Request) -> int:
    """`?user_id=`, checked against the caller (403 for somebody else's id)."""
    return resolve_user_id(request, request.args.get("user_id"))


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    """A positive integer query parameter; values above `maximum` are capped, as lists are."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    # isdigit() alone admits "²", which int() refuses: ASCII digits only.
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise bad_request(f"{name} must be a positive integer")
    return min(int(raw), maximum)


async def existing_user(request: Request, user_id: int) -> Row:
    """The user's row, or 404. Read through the worker's coalesced reads (one query for all the
    requests in flight), so only for routes that hold no transaction of their own."""
    row = await accounts(request).user_rows.get(user_id)
    if row is None:
        raise not_found("user not found")
    return row
