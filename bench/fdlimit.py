"""Open-file limits: 20,000 sockets need more than the usual 1,024 descriptors.

Limits are inherited, so raising them here before servers and client processes start raises
them for those processes too.
"""

from __future__ import annotations

import resource


def raise_open_files(wanted: int) -> int:
    """Raise the soft (and, where allowed, hard) limit to `wanted`; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    new_hard = hard if hard == resource.RLIM_INFINITY or hard >= wanted else wanted
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, new_hard))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
