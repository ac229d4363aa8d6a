"""The WebSocket load generator: client processes, each holding thousands of sockets.

One Python process can hold a few thousand busy sockets before its own CPU becomes the limit,
so the clients live in several processes driven over pipes by the benchmark (`pool`), each
running an event loop of `Conn`s (`conn`) that speak Voxhub's or Socket.IO's framing
(`dialects`) and execute one scenario's commands at a time (`agent`).
"""
