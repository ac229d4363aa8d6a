"""Seed 000's HTTP API and the sign-in routes, one blueprint per resource."""

from app.accounts.routes import (
    admin_plans,
    auth,
    conversation,
    health,
    plans,
    prompts,
    realtime,
    tokens,
    users,
)

BLUEPRINTS = (
    auth.bp,
    users.bp,
    tokens.bp,
    plans.bp,
    admin_plans.bp,
    health.bp,
    conversation.bp,
    prompts.bp,
    realtime.bp,
)

__all__ = ["BLUEPRINTS"]
