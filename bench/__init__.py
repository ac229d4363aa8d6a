"""Voxhub's benchmarks: side-by-side measurements taken in one run on one machine.

The machines are small and shared, so absolute numbers drift from run to run; every result is
reported beside a baseline measured in the same run and beside the load generator's own CPU.
Run one with `python -m bench <name>`, all with `python -m bench all` (`make bench`).
"""
