"""Accounts metrics: the token economy as Prometheus sees it (auth failures live in guards)."""

from prometheus_client import Counter

tokens_spent = Counter("voxhub_tokens_spent_total", "Tokens spent by users")
tokens_credited = Counter(
    "voxhub_tokens_credited_total", "Tokens credited to users by reason", ["reason"]
)
realtime_tokens_minted = Counter(
    "voxhub_realtime_tokens_minted_total", "Ephemeral OpenAI Realtime secrets minted"
)
