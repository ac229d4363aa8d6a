"""Seed 000's bodies, one model each: what its routes accept and what they answer.

Request models are strict (a JSON `"10"`, `10.5` or `true` is not an amount); `user_id` is left
to `resolve_user_id`, which also reads it from the query string and checks it against the
caller. Response models describe and serialize what the routes answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from app.http.bodies import Body, ErrorBody
from app.http.envelopes import Failure, Success

# Far below BIGINT's limit, so a sum of many amounts cannot overflow the balance column.
MAX_AMOUNT = 10**12
MAX_TELEGRAM_ID = 2**63 - 1
USERNAME = r"^[A-Za-z0-9_.-]{3,32}$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _blank_is_none(value: str | None) -> str | None:
    if value == "":
        return None
    return None if value is None else _not_blank(value)


NotBlank = AfterValidator(_not_blank)
BlankIsNone = AfterValidator(_blank_is_none)
InitData = Annotated[str, Field(min_length=1, max_length=4096), NotBlank]
PromptName = Annotated[str, Field(min_length=1, max_length=128), NotBlank]
PromptContent = Annotated[str, Field(min_length=1, max_length=16_000), NotBlank]
MessageContent = Annotated[str, Field(min_length=1, max_length=32_000), NotBlank]
PromptDescription = Annotated[str | None, Field(max_length=1000), BlankIsNone]
PromptLabel = Annotated[str | None, Field(max_length=64), BlankIsNone]
MAX_AUDIO_SECONDS = 24 * 3600
# Absent, null or "" (all: none); otherwise a non-blank string.
ProfileName = Annotated[str | None, Field(max_length=128), BlankIsNone]
ProfileHandle = Annotated[str | None, Field(max_length=64), BlankIsNone]
LanguageCode = Annotated[str | None, Field(max_length=16), BlankIsNone]
PositiveId = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
# Checked by resolve_user_id (an integer, or its decimal text as the query string gives it).
UserRef = int | str | None


# -- sign-in -------------------------------------------------------------------------------------


class Credentials(Body):
    username: Annotated[str, Field(pattern=USERNAME)]
    password: Annotated[str, Field(min_length=8, max_length=128)]


class LogIn(Body):
    """A log-in is judged by the stored hash alone: a password or a name that registration
    would refuse is simply wrong (the one 401), so the rules tell a guesser nothing. Only the
    types and the sizes, which bound the work, are checked here."""

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class TelegramLogin(Body):
    init_data: InitData


class User(Body):
    id: int
    telegram_id: int | None
    username: str | None
    first_name: str | None
    last_name: str | None
    language_code: str | None
    selected_model: str | None
    balance: int
    role: str
    created_at: str | None
    updated_at: str | None


class Session(Body):
    user: User
    access_token: str
    token_type: str
    expires_in: int
    # Voxhub additions: POST /api/auth/refresh trades it, once, for a new session.
    refresh_token: str
    refresh_expires_in: int


class Refresh(Body):
    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]


class LogOut(Body):
    """The session's refresh token, revoked with the access token that calls."""

    refresh_token: Annotated[str | None, Field(max_length=4096)] = None


class LoggedOut(Body):
    """How many tokens this call revoked (the access token, and the refresh token if given)."""

    revoked: int


class Me(Body):
    sub: str
    role: str
    user: User | None


# -- tokens --------------------------------------------------------------------------------------


class TokenBalance(Body):
    """`GET /api/tokens` data: the name the mini-app reads."""

    token_balance: int


class LedgerEntry(Body):
    id: int
    delta: int
    balance_after: int
    reason: str
    details: Any
    idempotency_key: str | None
    created_at: str | None


# -- prompts and conversation --------------------------------------------------------------------


class PromptCreate(Body):
    user_id: UserRef = None
    title: PromptName
    content: PromptContent
    description: PromptDescription = None
    category: PromptLabel = None
    voice_gender: PromptLabel = None
    # Voxhub's opt-in: the original never selected a new prompt.
    selected: bool = False


class Prompt(Body):
    id: int
    user_id: int | None
    title: str
    description: str | None
    content: str
    plan_required: int
    category: str | None
    voice_gender: str | None
    is_base: bool
    is_active: bool
    created_at: str | None


class ConversationMessageCreate(Body):
    user_id: UserRef = None
    message_type: Literal["user", "assistant"]
    content: MessageContent
    session_id: PositiveId | None = None
    audio_duration_seconds: Annotated[int, Field(ge=0, le=MAX_AUDIO_SECONDS)] = 0


class ConversationMessage(Body):
    id: int
    user_id: int
    session_id: int | None
    message_type: str
    content: str
    audio_duration_seconds: int
    created_at: str | None


# -- realtime ------------------------------------------------------------------------------------


class ClientSecret(Body):
    value: str
    expires_at: int


class RealtimeSecret(Body):
    """OpenAI's answer, passed through (its session object grows with the API), plus the
    beta-era `client_secret`."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)

    value: str
    expires_at: int
    session: dict[str, Any]
    client_secret: ClientSecret


class RealtimeRefused(ErrorBody):
    balance: int
    required: int


# -- seed 000 mini-app, half 1: users, tokens, plans, subscriptions, admin plans ----------------


def _telegram_id(value: Any) -> Any:
    """The mini-app sends its Telegram id as a string of digits; a bot may send the integer."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return value


TelegramIdIn = Annotated[int, BeforeValidator(_telegram_id), Field(ge=1, le=MAX_TELEGRAM_ID)]
FirstName = Annotated[str, Field(min_length=1, max_length=128), NotBlank]
RealtimeModel = Literal["gpt-realtime", "gpt-realtime-mini"]
SessionRef = Annotated[str | None, Field(max_length=128)]
PlanName = Annotated[str, Field(min_length=1, max_length=64), NotBlank]
# A price in the plan's currency; stored in cents.
# At most 10 million, so that its cents fit the INTEGER column.
Price = Annotated[float, Field(ge=0, le=10**7, allow_inf_nan=False)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Features = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50)]
PlanLevel = Annotated[int, Field(ge=1, le=3)]
DurationDays = Annotated[int, Field(ge=1, le=3650)]
Description = Annotated[str | None, Field(max_length=2000)]


class MiniAppUserUpsert(Body):
    telegram_id: TelegramIdIn
    first_name: FirstName
    username: ProfileHandle = None
    last_name: ProfileName = None
    language_code: LanguageCode = None


class MiniAppUser(Body):
    """The mini-app's User: `telegram_id` as a string, the balance as `token_balance`."""

    id: int
    telegram_id: str | None
    username: str | None
    first_name: str | None
    last_name: str | None
    language_code: str | None
    is_premium: bool
    token_balance: int
    selected_model: str | None
    selected_voice: str | None
    selected_prompt_id: int | None
    created_at: str | None
    updated_at: str | None
    last_active: str | None


class UserAccount(Body):
    user: MiniAppUser
    has_active_subscription: bool
    current_plan_name: str | None


class ModelSelection(Body):
    user_id: UserRef = None
    selected_model: RealtimeModel


class SelectedModel(Body):
    selected_model: str


class TokenSpend(Body):
    """`usage` is OpenAI's object, read by `app.accounts.usage` (lenient where OpenAI grows)."""

    user_id: UserRef = None
    session_id: SessionRef = None
    usage: Any
    check_only: bool = False


class TokenTopUp(Body):
    user_id: UserRef = None
    tokens_to_add: Amount


class UsageSide(Body):
    total: int
    text: int
    audio: int
    image: int
    cached: int


class UsageBreakdown(Body):
    input: UsageSide
    output: UsageSide
    total: int


class TokensChecked(Body):
    """`check_only`: nothing spent."""

    tokens_used: int
    new_balance: int


class TokensSpent(TokensChecked):
    usage_breakdown: UsageBreakdown


class TokensAdded(Body):
    tokens_added: int
    new_balance: int


class InsufficientTokensFailure(Failure):
    balance: int


class MiniAppPlan(Body):
    id: int
    name: str
    description: str | None
    price: float
    currency: str
    token_amount: int
    features: list[str]
    is_active: bool
    created_at: str | None
    level: int
    duration_days: int


class PlanList(Body):
    plans: list[MiniAppPlan]


class PlanData(Body):
    plan: MiniAppPlan


class PlanCreate(Body):
    name: PlanName
    price: Price
    token_amount: Amount
    currency: Currency = "USD"
    features: Features = []
    is_active: bool = False
    description: Description = None
    # Absent: taken from the seeded names (the client derives levels from them), else 1.
    level: PlanLevel | None = None
    duration_days: DurationDays = 30


class PlanUpdate(Body):
    """Any subset of the create fields; absent (or null) fields keep their values. The plan is
    `plan_id` (the admin page at HEAD) or `id` (d0303e0)."""

    plan_id: PositiveId | None = None
    id: PositiveId | None = None
    name: PlanName | None = None
    price: Price | None = None
    token_amount: Amount | None = None
    currency: Currency | None = None
    features: Features | None = None
    is_active: bool | None = None
    description: Description = None
    level: PlanLevel | None = None
    duration_days: DurationDays | None = None


class UserPlan(Body):
    id: int
    plan_name: str
    token_amount: int
    tokens_used: int
    tokens_remaining: int
    start_date: str | None
    end_date: str | None
    status: Literal["active", "expired", "cancelled"]
    features: list[str]


class UserPlans(Body):
    active_plans: list[UserPlan]
    closed_plans: list[UserPlan]


class PlanPurchase(Body):
    user_id: UserRef = None
    plan_id: PositiveId
    payment_id: Annotated[str | None, Field(max_length=255)] = None


class PlanPurchased(Body):
    subscription_id: int
    new_token_balance: int
    message: str


class CurrentPlan(Body):
    """`GET /api/user-current-plan`; the subscription's fields only with an active plan,
    `plan_expired` only when this read closed a plan whose tokens were spent."""

    has_active_subscription: bool
    current_plan_name: str
    token_balance: int
    plan_level: int
    subscription_id: int | None = None
    plan_token_amount: int | None = None
    tokens_used_in_plan: int | None = None
    tokens_remaining_in_plan: int | None = None
    start_date: str | None = None
    end_date: str | None = None
    features: list[str] | None = None
    plan_expired: bool | None = None


class CurrentPlanFlat(Success[CurrentPlan], CurrentPlan):
    """The envelope with the data's keys copied at the top level, as the original answered."""


class ApiHealth(Body):
    """Seed 000's health check: the original's two fields and Voxhub's readiness."""

    success: bool
    status: str
    service: str
    time: str
    uptime_seconds: float
    checks: dict[str, str]


class ApiUnhealthy(ApiHealth):
    error: str


# -- seed 000 mini-app, half 2: prompts, voice, history, activity, sessions, token ---------------

# The OpenAI Realtime voices the mini-app offers; the plan gates some of them on the client only.
Voice = Literal[
    "alloy", "ash", "ballad", "cedar", "coral", "echo", "marin", "sage", "shimmer", "verse"
]
ActivityName = Annotated[str | None, Field(max_length=64), BlankIsNone]
Count = Annotated[int, Field(ge=0, le=10**9)]


class PromptData(Body):
    prompt: Prompt


class UserPlanLevel(Body):
    plan_name: str
    plan_level: int


class PromptLimits(Body):
    """`max` is -1 when unlimited; `canCreateMore` is the name the client reads."""

    current: int
    max: int
    can_create_more: bool
    canCreateMore: bool  # noqa: N815  (the client's name)


class PromptCatalog(Body):
    """`GET /api/prompts` data, in the client's camelCase."""

    userPlan: UserPlanLevel  # noqa: N815
    basePrompts: list[Prompt]  # noqa: N815
    userPrompts: list[Prompt]  # noqa: N815
    selectedPromptId: int | None  # noqa: N815
    promptLimits: PromptLimits  # noqa: N815


class PromptSelection(Body):
    user_id: UserRef = None
    prompt_id: PositiveId


class PromptDeleted(Body):
    was_selected: bool


class MessageList(Body):
    messages: list[ConversationMessage]


class MessageSaved(Body):
    message_id: int


class VoiceChoice(Body):
    user_id: UserRef = None
    voice: Voice


class SelectedVoice(Body):
    voice: str


class ActivityCreate(Body):
    """`action`, or `activity_type` as older clients named it (one of them is required)."""

    user_id: UserRef = None
    action: ActivityName = None
    activity_type: ActivityName = None
    metadata: dict[str, Any] | None = None
    ip_address: Annotated[str | None, Field(max_length=64)] = None
    user_agent: Annotated[str | None, Field(max_length=512)] = None


class Activity(Body):
    id: int
    user_id: int
    action: str
    metadata: dict[str, Any] | None
    ip_address: str | None
    user_agent: str | None
    created_at: str | None


class ActivityList(Body):
    activities: list[Activity]


class ActivityLogged(Body):
    activity_id: int


class VoiceSessionCreate(Body):
    user_id: UserRef = None
    words_spoken: Count = 0
    ai_responses: Count = 0
    session_quality: Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)] = None
    context_summary: Annotated[str | None, Field(max_length=4000)] = None
    last_conversation_topic: Annotated[str | None, Field(max_length=255)] = None


class VoiceSession(Body):
    id: int
    user_id: int
    words_spoken: int
    ai_responses: int
    session_quality: float | None
    context_summary: str | None
    last_conversation_topic: str | None
    created_at: str | None


class VoiceSessionList(Body):
    sessions: list[VoiceSession]


class VoiceSessionSaved(Body):
    session_id: int


class VoiceSessionStats(Body):
    total_sessions: int
    total_words: int
    total_responses: int
    avg_quality: float | None
