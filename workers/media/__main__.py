"""`python -m workers.media [--metrics-port N] [--worker-id ID]` = `voxhub media-worker`."""

from workers.media.process import main

main()
