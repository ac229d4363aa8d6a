"""Gateway metrics; cross-worker delivery latency lives with the hub (app/bus/hub.py)."""

from prometheus_client import Counter, Gauge

ws_connections = Gauge(
    "voxhub_ws_connections",
    "Open /ws connections (summed over live workers)",
    multiprocess_mode="livesum",
)
ws_messages = Counter(
    "voxhub_ws_messages_total",
    "WebSocket frames by direction (in/out) and type",
    ["direction", "type"],
)
ws_closed = Counter("voxhub_ws_closed_total", "Sockets closed by the server, by reason", ["reason"])
ws_refused = Counter("voxhub_ws_refused_total", "Upgrades refused, by reason", ["reason"])
