"""Metered Realtime calls as Prometheus sees them, from API and sideband workers alike."""

from prometheus_client import Counter, Gauge, Histogram

live_calls = Gauge(
    "voxhub_realtime_live_calls",
    "Metered Realtime calls whose sideband this process holds",
    multiprocess_mode="livesum",
)
tokens_charged = Counter(
    "voxhub_realtime_tokens_charged_total", "Tokens charged to metered calls, by type", ["type"]
)
holds_refused = Counter(
    "voxhub_realtime_holds_refused_total", "Metered calls and re-holds the balance could not cover"
)
hangups = Counter("voxhub_realtime_hangups_total", "Metered calls ended, by reason", ["reason"])
sideband_attaches = Counter(
    "voxhub_realtime_sideband_attaches_total",
    "Sideband connections opened: first attaches, reconnects and take-overs",
    ["kind"],
)
sideband_events = Counter("voxhub_realtime_sideband_events_total", "Sideband events handled")
openai_latency = Histogram(
    "voxhub_realtime_openai_seconds",
    "Duration of one call to OpenAI's Realtime calls API",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
)
