"""Voxhub configuration: one frozen object read from the environment (and an optional `.env`).

The seeds' variable names are kept so that their deployments keep working. Every value is
parsed once at start-up; a bad value stops the process with one line naming the variable,
because a half-configured realtime service fails later in ways far harder to read.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_JWT_SECRET = "my-secret-key-change-in-production"
DEFAULT_DATABASE_URL = "sqlite:///./var/voxhub.db"
MEMORY_REDIS_URL = "memory://"

T = TypeVar("T")

# A production signing secret must be one nobody else can read or guess: at least this long
# (`openssl rand -hex 32` gives 64), varied enough (Shannon bits per character), and without
# the words that mark the placeholders published in this repository, its docs and its tests.
MIN_PRODUCTION_SECRET_CHARS = 32
MIN_SECRET_BITS_PER_CHAR = 3.0
_PLACEHOLDER_WORDS = re.compile(
    r"secret|change|example|default|password|production|development|voxhub", re.IGNORECASE
)


class ConfigError(ValueError):
    """A configuration value that cannot be used; its message names the variable."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(raw: str) -> float:
    """Seconds from `30s`, `5m`, `1h`, `250ms` or plain seconds, as the Go seeds wrote them."""
    match = _DURATION.match(raw)
    if not match:
        raise ValueError(f"not a duration (use e.g. 30s, 5m or plain seconds): {raw!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def parse_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, 127.0.0.1` → networks (an address alone is a /32 or /128)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in parse_list(raw))


def parse_port_range(raw: str) -> tuple[int, int] | None:
    """`40000-40100` → (40000, 40100); empty → None (any port)."""
    if not raw.strip():
        return None
    low, sep, high = raw.partition("-")
    start, end = int(low), int(high if sep else low)
    if not (0 < start <= end < 65536):
        raise ValueError(f"not a port range: {raw!r}")
    return start, end


def _positive(parse: Callable[[str], T]) -> Callable[[str], T]:
    def parse_positive(raw: str) -> T:
        value = parse(raw)
        if value <= 0:  # type: ignore[operator]
            raise ValueError(f"must be positive: {raw!r}")
        return value

    return parse_positive


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse_choice(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}: {raw!r}")
        return value

    return parse_choice


def env(name: str, default: str, parse: Callable[[str], Any] = str) -> Any:
    """A dataclass field read from variable `name`, parsed by `parse` (default as text)."""
    return field(default=None, metadata={"env": name, "default": default, "parse": parse})


@dataclass(frozen=True, slots=True)
class Settings:
    # --- server (seeds 000, 004) ---
    host: str = env("HOST", "0.0.0.0")
    port: int = env("PORT", "8080", int)
    workers: int = env("WORKERS", "1", _positive(int))
    # Pending connections the kernel queues before the server accepts them: a reconnect storm
    # arrives faster than one accept loop takes it (capped by net.core.somaxconn at start).
    backlog: int = env("BACKLOG", "4096", _positive(int))
    environment: str = env(
        "ENVIRONMENT", "development", _choice("development", "test", "production")
    )
    log_level: str = env("LOG_LEVEL", "info", _choice("debug", "info", "warning", "error"))
    log_format: str = env("LOG_FORMAT", "text", _choice("text", "json"))
    access_log: bool = env("ACCESS_LOG", "false", parse_bool)
    read_timeout: float = env("READ_TIMEOUT", "15s", _positive(parse_duration))
    write_timeout: float = env("WRITE_TIMEOUT", "15s", _positive(parse_duration))
    idle_timeout: float = env("IDLE_TIMEOUT", "60s", _positive(parse_duration))
    request_max_bytes: int = env("REQUEST_MAX_BYTES", "1048576", _positive(int))
    allowed_origins: tuple[str, ...] = env("ALLOWED_ORIGINS", "*", parse_list)
    # Unset: ./var/prometheus/<PORT>. `voxhub serve` clears its samples at start, so two
    # instances started from one folder must not share one (the second would erase the first's
    # counters).
    # Peers whose forwarded headers name the client (nginx, the ingress controller); from any
    # other peer they are ignored. PROXIES_COUNT: proxies in front that append to
    # X-Forwarded-For; REAL_IP_HEADER (e.g. x-real-ip) wins over it when a trusted peer sets it;
    # FORWARDED_SECRET: the `secret=` of an RFC 7239 `Forwarded` header (Sanic's settings).
    trusted_proxies: tuple[Network, ...] = env("TRUSTED_PROXIES", "", parse_networks)
    proxies_count: int = env("PROXIES_COUNT", "1", _positive(int))
    real_ip_header: str = env("REAL_IP_HEADER", "")
    forwarded_secret: str = env("FORWARDED_SECRET", "")
    metrics_dir: str = env("PROMETHEUS_MULTIPROC_DIR", "")
    metrics_port: int = env("METRICS_PORT", "9100", int)
    # Where the media and AI workers' own /metrics listens. A media worker on the host network
    # bound to 0.0.0.0 would publish it on every interface of the node: loopback by default,
    # the pod's address in Kubernetes, the container's in compose (not published).
    metrics_host: str = env("METRICS_HOST", "127.0.0.1")

    # --- storage ---
    database_url: str = env("DATABASE_URL", DEFAULT_DATABASE_URL)
    database_pool_size: int = env("DATABASE_POOL_SIZE", "10", _positive(int))
    redis_url: str = env("REDIS_URL", MEMORY_REDIS_URL)
    # The password of Redis's default user (`requirepass`) when REDIS_URL carries none: the URL
    # can then stay in a ConfigMap and the password in a Secret.
    redis_password: str = env("REDIS_PASSWORD", "")
    redis_max_connections: int = env("REDIS_MAX_CONNECTIONS", "64", _positive(int))
    redis_pool_timeout: float = env("REDIS_POOL_TIMEOUT", "5s", _positive(parse_duration))

    # --- identity (seed 000, 002, 004) ---
    jwt_secret: str = env("JWT_SECRET", DEFAULT_JWT_SECRET)
    # Access tokens from the sign-in routes (and `voxhub token`); a session renews them with
    # its refresh token (one use each) until JWT_REFRESH_TTL. /ws's anonymous users get
    # ANON_TOKEN_TTL: their token is only what keeps their id across reconnects.
    jwt_ttl: float = env("JWT_TTL", "1h", _positive(parse_duration))
    jwt_refresh_ttl: float = env("JWT_REFRESH_TTL", "720h", _positive(parse_duration))
    anon_token_ttl: float = env("ANON_TOKEN_TTL", "24h", _positive(parse_duration))
    login_attempts_per_minute: int = env("LOGIN_ATTEMPTS_PER_MINUTE", "10", _positive(int))
    registrations_per_minute: int = env("REGISTRATIONS_PER_MINUTE", "10", _positive(int))
    telegram_bot_token: str = env("TELEGRAM_BOT_TOKEN", "")
    telegram_auth_max_age: float = env("TELEGRAM_AUTH_MAX_AGE", "24h", _positive(parse_duration))

    # --- Voice AI (seed 000) ---
    default_token_balance: int = env("DEFAULT_TOKEN_BALANCE", "1000", int)
    min_token_threshold: int = env("MIN_TOKEN_THRESHOLD", "2000", int)
    openai_api_key: str = env("OPENAI_API_KEY", "")
    openai_base_url: str = env("OPENAI_BASE_URL", "")
    openai_timeout: float = env("OPENAI_TIMEOUT", "20s", _positive(parse_duration))
    openai_realtime_ttl: float = env("OPENAI_REALTIME_TTL", "10m", _positive(parse_duration))
    # Server-metered Realtime calls: what a call holds from the balance at a time, the level
    # below which it takes another hold, how long a call may go without its sideband before it
    # is hung up, how many calls one sideband worker holds, and how often a user may call.
    realtime_hold_tokens: int = env("REALTIME_HOLD_TOKENS", "2000", _positive(int))
    realtime_low_water_tokens: int = env("REALTIME_LOW_WATER_TOKENS", "500", _positive(int))
    realtime_reattach_timeout: float = env(
        "REALTIME_REATTACH_TIMEOUT", "10s", _positive(parse_duration)
    )
    realtime_max_calls: int = env("REALTIME_MAX_CALLS", "200", _positive(int))
    realtime_calls_per_minute: int = env("REALTIME_CALLS_PER_MINUTE", "10", _positive(int))

    # --- realtime gateway (seed 004) ---
    heartbeat_interval: float = env("HEARTBEAT_INTERVAL", "30s", _positive(parse_duration))
    cleanup_interval: float = env("CLEANUP_INTERVAL", "30s", _positive(parse_duration))
    connection_timeout: float = env("CONNECTION_TIMEOUT", "60s", _positive(parse_duration))
    max_connections: int = env("MAX_CONNECTIONS", "10000", _positive(int))
    # New /ws sockets one worker admits per second; the rest get 503 with Retry-After.
    connect_rate: int = env("CONNECT_RATE", "2000", _positive(int))
    rate_limit_per_minute: int = env("RATE_LIMIT_PER_MINUTE", "60", _positive(int))
    # Open /ws sockets from one client address on one worker (many users may share a NAT).
    ws_sockets_per_address: int = env("WS_SOCKETS_PER_ADDRESS", "100", _positive(int))
    # New anonymous users (tokenless sockets) per client address per minute, across workers:
    # each is a fresh frame budget, so without this a reconnect resets the rate limit.
    ws_anonymous_per_minute: int = env("WS_ANONYMOUS_PER_MINUTE", "120", _positive(int))
    # Frames in a row past the rate limit before the socket is closed with 1008.
    ws_over_limit_close: int = env("WS_OVER_LIMIT_CLOSE", "20", _positive(int))
    ws_max_message_bytes: int = env("WS_MAX_MESSAGE_BYTES", "65536", _positive(int))
    # Seed 004's original put every new socket in the random chat's pool at once.
    match_on_connect: bool = env("MATCH_ON_CONNECT", "false", parse_bool)

    # --- AI messenger (seed 002) ---
    ai_api: str = env("AI_API", "responses", _choice("responses", "chat"))
    ai_model: str = env("AI_MODEL", "gpt-4o-mini")
    ai_max_attempts: int = env("AI_MAX_ATTEMPTS", "3", _positive(int))
    ai_context_messages: int = env("AI_CONTEXT_MESSAGES", "20", _positive(int))
    ai_claim_idle: float = env("AI_CLAIM_IDLE", "30s", _positive(parse_duration))
    # Each message may queue a model call per AI member, charged to that member: messages a
    # sender may post per minute, messages a chat takes per minute (AI answers not counted),
    # and members of one chat who may have their AI on at once.
    chat_messages_per_minute: int = env("CHAT_MESSAGES_PER_MINUTE", "30", _positive(int))
    chat_messages_per_minute_per_chat: int = env(
        "CHAT_MESSAGES_PER_MINUTE_PER_CHAT", "120", _positive(int)
    )
    ai_max_members_per_chat: int = env("AI_MAX_MEMBERS_PER_CHAT", "2", _positive(int))

    # --- media (seed 001) ---
    recordings_dir: str = env("RECORDINGS_DIR", "./var/conversations")
    stun_servers: tuple[str, ...] = env("STUN_SERVERS", "", parse_list)
    turn_url: str = env("TURN_URL", "")
    turn_username: str = env("TURN_USERNAME", "")
    turn_password: str = env("TURN_PASSWORD", "")
    # coturn's REST-API scheme (`use-auth-secret`): with a secret, every identity gets its own
    # credential, valid TURN_TTL at most, instead of the static pair above that anyone can reuse.
    turn_secret: str = env("TURN_SECRET", "")
    turn_urls: tuple[str, ...] = env("TURN_URLS", "", parse_list)
    turn_ttl: float = env("TURN_TTL", "1h", _positive(parse_duration))
    turn_for_anonymous: bool = env("TURN_FOR_ANONYMOUS", "false", parse_bool)
    turn_credentials_per_minute: int = env("TURN_CREDENTIALS_PER_MINUTE", "20", _positive(int))
    media_use_turn: bool = env("MEDIA_USE_TURN", "false", parse_bool)
    media_host_addresses: tuple[str, ...] = env("MEDIA_HOST_ADDRESSES", "", parse_list)
    media_udp_ports: tuple[int, int] | None = env("MEDIA_UDP_PORTS", "", parse_port_range)
    media_max_calls: int = env("MEDIA_MAX_CALLS", "20", _positive(int))
    media_answer_timeout: float = env("MEDIA_ANSWER_TIMEOUT", "10s", _positive(parse_duration))
    media_inactivity_timeout: float = env(
        "MEDIA_INACTIVITY_TIMEOUT", "10s", _positive(parse_duration)
    )
    media_heartbeat_ttl: float = env("MEDIA_HEARTBEAT_TTL", "6s", _positive(parse_duration))
    # Bounds on what one caller can take of the media workers and the recordings disk: offers
    # per minute from one address and from one identity (POST /webrtc), how long a call may
    # last, how long an answered offer may stay unconnected (its slot is held meanwhile), a
    # recording's size (the call ends there) and how long recordings are kept.
    media_offers_per_minute: int = env("MEDIA_OFFERS_PER_MINUTE", "10", _positive(int))
    media_max_call_seconds: float = env("MEDIA_MAX_CALL_SECONDS", "1h", _positive(parse_duration))
    media_connect_timeout: float = env("MEDIA_CONNECT_TIMEOUT", "10s", _positive(parse_duration))
    recording_max_bytes: int = env("RECORDING_MAX_BYTES", "67108864", _positive(int))
    recording_retention: float = env("RECORDING_RETENTION", "720h", _positive(parse_duration))
    # Callers' ICE candidates naming these networks are dropped before ICE checks: a media
    # worker (on the host network) must not send STUN wherever a caller points it. A network
    # holding one of the worker's own MEDIA_HOST_ADDRESSES is exempt (its peers are there).
    # Add the node's private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, ...) where
    # callers never share them.
    media_denied_peer_networks: tuple[str, ...] = env(
        "MEDIA_DENIED_PEER_NETWORKS",
        "0.0.0.0/8,127.0.0.0/8,169.254.0.0/16,224.0.0.0/3,::/128,::1/128,fe80::/10,ff00::/8",
        parse_list,
    )

    @property
    def serve_metrics_dir(self) -> str:
        """Where `voxhub serve`'s worker processes write their samples: one folder per instance."""
        return self.metrics_dir or f"./var/prometheus/{self.port}"

    @property
    def embedded(self) -> bool:
        """One process runs everything: the in-process Redis-compatible server is not shared."""
        return self.redis_url == MEMORY_REDIS_URL

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read every variable; `environ` defaults to the process environment plus `.env`."""
        if environ is None:
            if dotenv:
                load_dotenv_file()
            environ = os.environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = spec.metadata["env"]
            raw = environ.get(name, spec.metadata["default"])
            try:
                values[spec.name] = spec.metadata["parse"](raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"invalid {name}: {exc}") from None
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse combinations that would run but be unsafe or silently wrong."""
        if self.environment == "production":
            self._validate_production_secrets()
            if "*" in self.allowed_origins:
                raise ConfigError("invalid ALLOWED_ORIGINS: '*' is refused in production")
        if len(self.jwt_secret) < 16:
            raise ConfigError("invalid JWT_SECRET: use at least 16 characters")
        if self.embedded and self.workers > 1:
            raise ConfigError(
                "invalid WORKERS: memory:// Redis lives in one process; set REDIS_URL to run "
                "more than one worker"
            )
        if not (self.database_url.startswith(("sqlite", "postgres"))):
            raise ConfigError("invalid DATABASE_URL: use sqlite:///… or postgresql://…")
        if not (self.embedded or self.redis_url.startswith(("redis://", "rediss://", "unix://"))):
            raise ConfigError("invalid REDIS_URL: use memory:// or redis://host:port/db")
        self._validate_turn()
        if self.realtime_low_water_tokens > self.realtime_hold_tokens:
            raise ConfigError(
                "invalid REALTIME_LOW_WATER_TOKENS: it must not exceed REALTIME_HOLD_TOKENS"
            )

    def _validate_production_secrets(self) -> None:
        secrets = {"JWT_SECRET": self.jwt_secret, "TURN_SECRET": self.turn_secret}
        for name, value in secrets.items():
            if name == "JWT_SECRET" or value:
                weakness = secret_weakness(value)
                if weakness:
                    raise ConfigError(f"invalid {name}: refused in production: {weakness}")

    def _validate_turn(self) -> None:
        """A secret without a server, or a server that is not a TURN URL, would hand clients
        credentials for nothing: refused at start rather than discovered in a failed call."""
        for url in self.turn_urls:
            if not url.startswith(("turn:", "turns:")):
                raise ConfigError(f"invalid TURN_URLS: {url!r} is not a turn: or turns: URL")
        if self.turn_secret and not self.turn_urls:
            raise ConfigError("invalid TURN_SECRET: set TURN_URLS to the servers it is for")
        if self.turn_secret and self.turn_url:
            raise ConfigError(
                "invalid TURN_URL: the static pair and TURN_SECRET exclude each other; "
                "list the servers in TURN_URLS"
            )
        if self.turn_urls and not self.turn_secret:
            raise ConfigError("invalid TURN_URLS: set TURN_SECRET (coturn's static-auth-secret)")
        if self.media_use_turn and not self.turn_secret:
            raise ConfigError("invalid MEDIA_USE_TURN: set TURN_SECRET and TURN_URLS")


def secret_weakness(value: str) -> str | None:
    """Why `value` cannot sign production tokens, or None. A secret that appears in the
    repository (compose's old default, .env.example, the tests') lets anyone mint an admin token;
    tests/config keeps every such value refused here."""
    if len(value) < MIN_PRODUCTION_SECRET_CHARS:
        return (
            f"use at least {MIN_PRODUCTION_SECRET_CHARS} random characters (openssl rand -hex 32)"
        )
    if _PLACEHOLDER_WORDS.search(value):
        return "it reads as a published placeholder; generate one (openssl rand -hex 32)"
    counts = Counter(value).values()
    bits = -sum(n / len(value) * math.log2(n / len(value)) for n in counts)
    if bits < MIN_SECRET_BITS_PER_CHAR:
        return "too repetitive to be random; generate one (openssl rand -hex 32)"
    return None


def load_dotenv_file(path: str | os.PathLike[str] = ".env") -> None:
    """Variables already set in the environment win over the file."""
    if Path(path).is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)
