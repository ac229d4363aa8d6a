"""`python -m bench <name>... [--scale smoke|moderate|full] [--results PATH]`, or `all`."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench.context import SCALES, RunContext
from bench.fdlimit import raise_open_files
from bench.machine import machine_facts
from bench.registry import BENCHMARKS, runner
from bench.report import DEFAULT_RESULTS, Outcome, append_results, section
from bench.stack import Stack

# 20,000 client sockets, 20,000 server sockets and Redis' own, with room to spare.
OPEN_FILES = 65536


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="+", choices=[*BENCHMARKS, "all"], metavar="NAME")
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--json", type=Path, help="also write the raw tables as JSON here")
    args = parser.parse_args(argv)
    if "all" in args.names:
        args.names = list(BENCHMARKS)
    return args


def run_one(name: str, ctx: RunContext) -> tuple[Outcome, bool]:
    started = time.monotonic()
    print(f"== {name} ({ctx.scale}) ==", flush=True)
    try:
        outcome, ok = runner(name)(ctx), True
    except Exception as exc:  # one broken benchmark must not lose the others' results
        traceback.print_exc()
        outcome = Outcome(name, [], "—", f"**failed**: {type(exc).__name__}: {exc}")
        ok = False
    print(outcome.markdown(), flush=True)
    print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    return outcome, ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files(OPEN_FILES)
    facts = machine_facts()
    stack = Stack()
    outcomes: list[Outcome] = []
    failed = False
    try:
        ctx = RunContext(stack=stack, scale=args.scale)
        for name in args.names:
            outcome, ok = run_one(name, ctx)
            outcomes.append(outcome)
            failed |= not ok
    finally:
        stack.close()
        if outcomes:
            append_results(args.results, section(facts, args.scale, outcomes))
            print(f"appended to {args.results}")
        if args.json:
            args.json.write_text(json.dumps([asdict(o) for o in outcomes], default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
