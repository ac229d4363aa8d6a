"""Identity shared by every domain: JWTs, who is calling, and what they may act on."""

from sanic import Sanic

from app.auth.identity import Identity, Role
from app.auth.tokens import TokenError, decode_token, issue_token

__all__ = ["Identity", "Role", "TokenError", "decode_token", "issue_token"]


def register(app: Sanic) -> None:
    """Add `/api/auth/*`. Imported lazily: the routes use the accounts domain, which itself
    imports the guards from this package."""
    from app.auth.routes import bp

    app.blueprint(bp)
