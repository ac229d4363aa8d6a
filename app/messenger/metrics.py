"""Messenger and AI metrics, shared by the API workers and the AI worker processes."""

from prometheus_client import Counter, Gauge, Histogram

chat_messages = Counter(
    "voxhub_chat_messages_total", "Chat messages stored, by where they came from", ["source"]
)
ai_jobs = Counter(
    "voxhub_ai_jobs_total",
    "AI jobs handled by an AI worker, by kind and outcome",
    ["kind", "outcome"],
)
ai_latency = Histogram(
    "voxhub_ai_latency_seconds",
    "Duration of one call to the AI model",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
ai_dead_letters = Counter("voxhub_ai_dead_letters_total", "AI jobs moved to the dead-letter stream")
ai_stream_lag = Gauge(
    "voxhub_ai_stream_lag",
    "AI jobs not yet acknowledged (never delivered plus in progress)",
    multiprocess_mode="livemax",
)
ai_jobs_parked = Counter(
    "voxhub_ai_jobs_parked_total",
    "AI jobs kept in the database outbox because the Redis Stream refused them",
)
