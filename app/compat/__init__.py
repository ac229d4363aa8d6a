"""Every place Voxhub reaches into a library's private API, one module per patch.

Each module states the release it was checked against with `pin` at import, so an upgrade
fails at start-up with a message naming the patch, never later with an AttributeError deep in a
call; each has a test under `tests/compat/` that re-checks the private names it relies on.
The patches:

- `sanic_lean_ws`: Sanic's WebSocket protocol with list-based events and no unused queue.
- `sanic_ws_transport`: writing pre-framed text frames straight to a socket's transport.
- `sanic_ext_ws_docs`: /ws's OpenAPI definition, which sanic-ext cannot find on its own.
- `sqlalchemy_compile_cache`: cached compiled statements for the `databases` PostgreSQL path.
- `aiortc_rtp_tap`: the caller's RTP packets, before aiortc decodes them.
- `aioice_host_pinning`: ICE host candidates and ports restricted to the configured ones.
"""

from __future__ import annotations

from importlib.metadata import version


class UnsupportedVersion(RuntimeError):
    """A patched library is at a release its patch was not checked against."""


def pin(distribution: str, supported: str, patch: str) -> str:
    """The installed version of `distribution`, which must start with `supported`
    (e.g. "25.12."); raises `UnsupportedVersion` naming `patch` otherwise."""
    found = version(distribution)
    if not (found == supported.rstrip(".") or found.startswith(supported)):
        raise UnsupportedVersion(
            f"{patch} was checked against {distribution} {supported}x, found {found}: "
            "re-check the private names it uses before upgrading"
        )
    return found
