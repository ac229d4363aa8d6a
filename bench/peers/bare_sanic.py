"""The ceiling for `rest`: Sanic with nothing but a constant JSON route.

Voxhub's routes carry auth, request ids, Prometheus metrics and a database; the ratio against
this app says how much of the framework's speed those cost.
"""

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

app = Sanic("bare_sanic")
app.config.ACCESS_LOG = False


@app.get("/")
async def constant(request: Request) -> HTTPResponse:
    return json({"status": "ok"})
