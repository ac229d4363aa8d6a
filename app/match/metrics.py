"""Random-chat metrics. The two gauges are read from Redis (cluster-wide truths) by whichever
worker last looked, so they use `mostrecent`: `max` would keep reporting a stale peak."""

from prometheus_client import Counter, Gauge, Histogram

matches = Counter("voxhub_matches_total", "Pairs formed by find_match")
match_wait = Histogram(
    "voxhub_match_wait_seconds",
    "Time from find_match to match_found, per matched user",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
queue_length = Gauge(
    "voxhub_match_queue_length", "Users waiting for a partner", multiprocess_mode="mostrecent"
)
active_rooms = Gauge(
    "voxhub_match_active_rooms", "Rooms with two users", multiprocess_mode="mostrecent"
)


def observe_sizes(waiting: int, rooms: int) -> None:
    queue_length.set(waiting)
    active_rooms.set(rooms)
