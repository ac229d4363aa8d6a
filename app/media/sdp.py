"""A quick, dependency-free look at an SDP offer, done by the API worker.

Answers 400 at once for offers no media worker could ever use, without a Redis round trip and
without importing aiortc into API workers. The media worker still parses the offer with
aiortc's own parser (`app.media.engine.call.validate_offer`) and may reject it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SENDING = {"sendrecv", "sendonly"}
# Media sections an offer may carry. Browsers offer one per track (audio, perhaps video and a
# data channel); each section may get its own ICE transport, and so its own UDP ports from
# MEDIA_UDP_PORTS, on the media worker: hundreds in one offer would take every port there is.
MAX_SECTIONS = 8
DIRECTIONS = SENDING | {"recvonly", "inactive"}


class InvalidOffer(ValueError):
    """Why the offer cannot be answered; the message is shown to the client."""


@dataclass
class _Section:
    kind: str
    port: int
    attributes: list[str] = field(default_factory=list)


def _attribute(attributes: list[str], name: str) -> str | None:
    prefix = f"a={name}"
    for line in attributes:
        if line == prefix or line.startswith(prefix + ":"):
            return line[len(prefix) + 1 :] if len(line) > len(prefix) else ""
    return None


def check_offer(text: str) -> None:
    """Raise :class:`InvalidOffer` unless ``text`` could be a usable audio offer.

    Usable: SDP (`v=0` first), an audio section with a non-zero port that the caller sends on,
    offering Opus, with ICE credentials and a DTLS fingerprint (each may be session-level).
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise InvalidOffer("not an SDP offer (it must start with v=0)")
    session: list[str] = []
    sections: list[_Section] = []
    for line in lines[1:]:
        if len(line) < 2 or line[1] != "=":
            raise InvalidOffer(f"malformed SDP line: {line[:40]!r}")
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
                raise InvalidOffer(f"malformed media line: {line[:60]!r}")
            sections.append(_Section(kind=parts[0], port=int(parts[1].split("/")[0])))
        elif line.startswith("a="):
            (sections[-1].attributes if sections else session).append(line)
    if len(sections) > MAX_SECTIONS:
        raise InvalidOffer(f"the offer has {len(sections)} media sections; at most {MAX_SECTIONS}")
    audio = [s for s in sections if s.kind == "audio" and s.port != 0]
    if not audio:
        raise InvalidOffer("the offer has no audio")

    def direction(section: _Section) -> str:
        for attributes in (section.attributes, session):
            for name in DIRECTIONS:
                if _attribute(attributes, name) is not None:
                    return name
        return "sendrecv"

    sending = [s for s in audio if direction(s) in SENDING]
    if not sending:
        raise InvalidOffer("the offer does not send audio")
    usable = [
        s
        for s in sending
        if any(
            line.startswith("a=rtpmap:") and " opus/48000" in line.lower() for line in s.attributes
        )
    ]
    if not usable:
        raise InvalidOffer("the offer's audio does not include Opus")
    for section in usable:
        for name, what in (
            ("ice-ufrag", "ICE credentials"),
            ("ice-pwd", "ICE credentials"),
            ("fingerprint", "a DTLS fingerprint"),
        ):
            value = _attribute(section.attributes, name)
            if value is None:
                value = _attribute(session, name)
            if not value:
                raise InvalidOffer(f"the offer has no {what}")
