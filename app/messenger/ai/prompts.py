"""What the model is asked: the chat's recent transcript, seen from the member it works for."""

from __future__ import annotations

from app.messenger.ai.jobs import ADVICE, AUTOREPLY, AiJob
from app.messenger.storage import TranscriptLine

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


def _speaker(line: TranscriptLine, member_id: int) -> str:
    if line.sender_id == member_id:
        return "you"
    return line.author or f"user {line.sender_id}"


def build_prompt(job: AiJob, transcript: list[TranscriptLine]) -> tuple[str, str]:
    """(instructions, input) for one job; the transcript ends with the job's message."""
    lines = [f"{_speaker(line, job.user_id)}: {line.text}" for line in transcript]
    return _INSTRUCTIONS[job.kind], "Conversation so far:\n" + "\n".join(lines)
