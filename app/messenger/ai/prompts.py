"""What the model is asked: the chat's recent transcript, seen from the member it works for."""

from __future__ import annotations

from typing import Any

from app.messenger.ai.jobs import ADVICE, AUTOREPLY, AiJob

_INSTRUCTIONS = {
    ADVICE: (
        "You privately advise one participant of a chat, shown as 'you' in the transcript. "
        "Nobody else sees your advice. Read the conversation and give them brief, practical "
        "advice on how to answer the last message. Write in the language of the conversation."
    ),
    AUTOREPLY: (
        "You answer chat messages on behalf of one participant, shown as 'you' in the "
        "transcript, while they are away. Write the next message they would send, in their "
        "voice and in the language of the conversation. Output only the message text."
    ),
}


def _speaker(message: dict[str, Any], member_id: int) -> str:
    if message["sender_id"] == member_id:
        return "you"
    return message.get("author") or f"user {message['sender_id']}"


def build_prompt(job: AiJob, transcript: list[dict[str, Any]]) -> tuple[str, str]:
    """(instructions, input) for one job; the transcript ends with the job's message."""
    lines = [f"{_speaker(message, job.user_id)}: {message['text']}" for message in transcript]
    return _INSTRUCTIONS[job.kind], "Conversation so far:\n" + "\n".join(lines)
