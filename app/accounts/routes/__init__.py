"""Seed 000's HTTP API and the sign-in routes, one blueprint per resource."""

from app.accounts.routes import (
    activity,
    admin_plans,
    auth,
    conversation,
    health,
    plans,
    prompts,
    realtime,
    realtime_calls,
    tokens,
    user_prompt,
    users,
    voice,
    voice_sessions,
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
    realtime_calls.bp,
    user_prompt.bp,
    voice.bp,
    activity.bp,
    voice_sessions.bp,
)

__all__ = ["BLUEPRINTS"]
