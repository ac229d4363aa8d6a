"""ws-storm, client side: this process's share of a storm, timed from its own clock."""

from __future__ import annotations

from typing import Any

from bench.storm_client import storm
from bench.wsload.agent import AgentState, command


@command("storm")
async def storm_share(state: AgentState, url: str, sockets: int) -> dict[str, Any]:
    result = await storm([url] * sockets)
    await result.close()
    return {
        "connected": len(result.sessions),
        "workers": sorted({session["worker"] for session in result.sessions}),
        "seconds_to_session": result.seconds_to_session,
        "retries": dict(result.retries),
        "failures": dict(result.failures),
        "elapsed": result.elapsed,
    }
