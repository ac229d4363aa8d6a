"""The AI worker: consumes advice and autoreply jobs from a Redis Stream and answers them
through any OpenAI-compatible API (`voxhub ai-worker`, or in-process in the embedded default)."""
