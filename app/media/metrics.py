"""Media metrics: signaling on the API workers, calls and recordings on the media workers.

Gauges are per media worker (`worker` label) and `livesum`, so a stopped process stops
counting; the total over workers is `sum(voxhub_media_active_calls)`.
"""

from prometheus_client import Counter, Gauge, Histogram

active_calls = Gauge(
    "voxhub_media_active_calls",
    "Calls a media worker holds right now",
    ["worker"],
    multiprocess_mode="livesum",
)
capacity = Gauge(
    "voxhub_media_capacity",
    "Calls a media worker may hold (MEDIA_MAX_CALLS)",
    ["worker"],
    multiprocess_mode="livesum",
)
calls = Counter(
    "voxhub_media_calls_total",
    "Calls ended, by outcome (hangup, closed, shutdown, inactivity, max_duration, "
    "recording_limit, not_connected, ice_failed, error)",
    ["outcome"],
)
recording_bytes = Counter(
    "voxhub_media_recording_bytes_total", "Bytes written to OGG/Opus recordings"
)
echo_drops = Counter(
    "voxhub_media_echo_drops_total", "Echo packets dropped because the echo queue was full"
)
record_drops = Counter(
    "voxhub_media_record_drops_total",
    "Packets not recorded because the recording queue was full",
)
recordings_expired = Counter(
    "voxhub_media_recordings_expired_total",
    "Recordings deleted because they were older than RECORDING_RETENTION",
)
offers = Counter(
    "voxhub_media_offers_total",
    "SDP offers received by the API, by result "
    "(answered, rate_limited, bad_offer, unsupported_media_type, too_large, no_capacity, "
    "timeout, failed)",
    ["result"],
)
answer_latency = Histogram(
    "voxhub_media_answer_latency_seconds",
    "Time from receiving an SDP offer to returning the answer (API side, answered offers)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
lost_worker_calls = Counter(
    "voxhub_media_worker_lost_calls_total",
    "Live calls marked failed because their media worker stopped heartbeating",
)
