"""The servers Voxhub is compared with, run as separate processes by the benchmarks."""
