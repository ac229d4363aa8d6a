"""Password hashing with Argon2id (argon2-cffi), the OWASP-recommended default.

`verify` always spends the same work, also for an unknown user (against a fixed dummy hash),
so response time does not tell an attacker which usernames exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("voxhub-dummy-password-for-unknown-users")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True after the hasher's parameters were raised: rehash on the next good login."""
    return _hasher.check_needs_rehash(password_hash)
