"""WebRTC echo-and-record (seed 001): API-side signaling; the calls live in workers/media."""
