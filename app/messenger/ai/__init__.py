"""What an AI worker does: take advice and autoreply jobs off the Redis Stream, ask the model,
store the answer and deliver it. `voxhub ai-worker` (workers/ai) runs this engine in its own
process; in the embedded default `app.messenger.register` runs it inside `voxhub serve`."""
