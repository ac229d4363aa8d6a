"""Identity shared by every domain: JWTs, who is calling, and what they may act on."""

from app.auth.identity import Identity, Role
from app.auth.tokens import TokenError, decode_token, issue_token

__all__ = ["Identity", "Role", "TokenError", "decode_token", "issue_token"]
