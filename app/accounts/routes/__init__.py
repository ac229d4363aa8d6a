"""Seed 000's HTTP API, one blueprint per resource."""

from app.accounts.routes import conversation, plans, prompts, realtime, tokens, users

BLUEPRINTS = (
    users.bp,
    tokens.bp,
    plans.bp,
    conversation.bp,
    prompts.bp,
    realtime.bp,
)

__all__ = ["BLUEPRINTS"]
