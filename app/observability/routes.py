"""`/metrics`: Prometheus exposition merged over every worker process."""

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw
from sanic_ext import openapi

from app.observability.metrics import exposition

bp = Blueprint("observability")


@bp.get("/metrics")
@openapi.definition(
    summary="Prometheus metrics of every worker process",
    response=openapi.definitions.Response({"text/plain": str}, status=200),
)
async def metrics(request: Request) -> HTTPResponse:
    body, content_type = exposition()
    return raw(body, content_type=content_type)
