"""`voxhub ai-worker`: the process that runs the messenger's AI engine (app/messenger/ai) on its
own, with its own database pool, Redis and metrics endpoint."""
