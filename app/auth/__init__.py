"""Identity shared by every domain: JWTs, who is calling, what they may act on, passwords and
the Telegram Mini App check. It knows no domain: the sign-in routes live in `app.accounts`."""

from app.auth.identity import Identity, Role
from app.auth.tokens import TokenError, decode_token, issue_token

__all__ = ["Identity", "Role", "TokenError", "decode_token", "issue_token"]
