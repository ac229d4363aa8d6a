"""The media load generator: aiortc callers that send a marked Opus pattern and time its echo.

Callers live in the benchmark's client processes (`bench.wsload.pool.ClientPool` with this
package's commands): each sends pre-encoded Opus (`pattern`) so that a client process spends
its CPU on RTP and SRTP rather than on encoding, and times the echo of every tone burst
(`detector`) as its packets arrive, before any jitter buffer.
"""
