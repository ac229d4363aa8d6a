"""`/metrics`: Prometheus exposition merged over every worker process (collected by
`app/observability`; served here with the other operational routes)."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from app.http.bodies import document
from app.observability.metrics import exposition

bp = Blueprint("metrics")


@bp.get("/metrics")
@document(
    "Prometheus metrics of every worker process",
    responses={200: {"text/plain": str}},
    public=True,
    tag="observability",
)
async def metrics(request: Request) -> HTTPResponse:
    body, content_type = exposition()
    return raw(body, content_type=content_type)
