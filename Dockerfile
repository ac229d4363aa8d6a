# One image for every Voxhub process:
#   voxhub serve | voxhub migrate | voxhub media-worker | voxhub ai-worker
# The builder stage holds pip and the build backend; the runtime stage only the virtualenv.
# aiortc and PyAV come as manylinux wheels (`--only-binary av`), so no compiler is needed.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
RUN python -m venv /opt/voxhub
COPY pyproject.toml README.md ./
COPY app ./app
COPY workers ./workers
# A regular (non-editable) install: the runtime image does not need the source tree.
RUN /opt/voxhub/bin/pip install --no-cache-dir --only-binary av . \
    && /opt/voxhub/bin/python -m compileall -q /opt/voxhub/lib

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="voxhub" \
      org.opencontainers.image.description="Voxhub realtime voice and chat backend" \
      org.opencontainers.image.licenses="MIT"
# Writable state lives under /var/lib/voxhub (a volume or an emptyDir), so the root
# filesystem can be mounted read-only in Kubernetes.
ENV PATH=/opt/voxhub/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    METRICS_PORT=9100 \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/voxhub/prometheus \
    RECORDINGS_DIR=/var/lib/voxhub/conversations \
    DATABASE_URL=sqlite:////var/lib/voxhub/voxhub.db
RUN groupadd --system --gid 10001 voxhub \
    && useradd --system --uid 10001 --gid voxhub --home-dir /var/lib/voxhub \
       --shell /usr/sbin/nologin voxhub \
    && mkdir -p /var/lib/voxhub/prometheus /var/lib/voxhub/conversations \
    && chown -R voxhub:voxhub /var/lib/voxhub
COPY --from=builder /opt/voxhub /opt/voxhub
WORKDIR /var/lib/voxhub
USER 10001:10001
# 8080: HTTP + WebSocket API. 9100: worker metrics. Media workers also use the UDP range
# set by MEDIA_UDP_PORTS (published by docker-compose.yml, host network in Kubernetes).
EXPOSE 8080 9100
# Liveness of `voxhub serve`; compose overrides it for the workers (their metrics port).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('PORT', '8080'), timeout=2)"]
ENTRYPOINT ["voxhub"]
CMD ["serve"]
