"""What a media worker does: hold WebRTC calls, echo and record them, report through Redis.

`worker.MediaWorker` is the engine: it takes offers from the Redis queue while it has a free
slot and owns each call (`call.Call`: one peer connection, `echo.EchoTrack`, `recorder.Recorder`
writing `ogg_writer.OggOpusWriter`, Opus inspected by `opus`; ICE servers from `ice`). The same
engine runs in a `voxhub media-worker` process (`workers/media/process.py`) or, with the
embedded Redis, inside `voxhub serve` (started by `app.media.register`).

Importing this package loads aiortc; API workers that only signal never do.
"""
