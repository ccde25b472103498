"""`bench noise`: a noisy neighbour on purpose, so drift can be produced and watched.

    bench noise --cpu 0 --on 20 --off 20 [--duration 600]

One process pinned to one CPU spins for ``--on`` seconds, then sleeps for
``--off`` seconds, and again, until ``--duration`` or Ctrl-C/SIGTERM.  Run it
beside `bench run` to see what a neighbour stepping on and off a core does to a
measurement (the drift record in the report shows its square wave).
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from typing import Any, Callable

from bench.model import BenchError


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("noise", help="keep one CPU busy in a square wave (a noisy neighbour on purpose)")
    p.add_argument("--cpu", type=int, default=0, help="the CPU to load (default 0)")
    p.add_argument("--on", type=float, default=20.0, help="seconds busy per period (default 20)")
    p.add_argument("--off", type=float, default=20.0, help="seconds idle per period (default 20)")
    p.add_argument("--duration", type=float, default=3600.0, help="stop after this many seconds (default 3600)")
    p.set_defaults(func=run)


def busy(elapsed: float, on: float, off: float) -> bool:
    """Whether the square wave is in its busy half ``elapsed`` seconds after the start (busy first)."""
    return elapsed % (on + off) < on


def until_change(elapsed: float, on: float, off: float) -> float:
    """Seconds left in the current half of the wave."""
    into = elapsed % (on + off)
    return on - into if into < on else on + off - into


def _spin(seconds: float, clock: Callable[[], float]) -> None:
    end = clock() + seconds
    while clock() < end:
        sum(range(2000))


def square_wave(on: float, off: float, duration: float, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> None:
    """Spin and sleep in turn until ``duration`` has passed (busy halves first)."""
    start = clock()
    while (elapsed := clock() - start) < duration:
        step = min(until_change(elapsed, on, off), duration - elapsed)
        (_spin if busy(elapsed, on, off) else lambda s, _clock: sleep(s))(step, clock)


def check(args: argparse.Namespace) -> None:
    """Refuse what cannot make a square wave, in one line."""
    for name in ("on", "off", "duration"):
        value = getattr(args, name)
        if not math.isfinite(value) or value < 0 or (name != "off" and value == 0):
            raise BenchError(f"--{name} wants a positive number of seconds, got {value:g}")
    if args.cpu not in os.sched_getaffinity(0):
        raise BenchError(f"--cpu {args.cpu} is not in this process's CPUs ({sorted(os.sched_getaffinity(0))})")


def run(args: argparse.Namespace) -> int:
    """Pinned to ``--cpu`` while it runs; the caller's CPUs and SIGTERM handler are restored after."""
    check(args)
    mask = os.sched_getaffinity(0)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"bench: noise on CPU {args.cpu}: {args.on:g} s busy, {args.off:g} s idle, for {args.duration:g} s "
          "(Ctrl-C stops)", file=sys.stderr)
    try:
        os.sched_setaffinity(0, [args.cpu])
        square_wave(args.on, args.off, args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        os.sched_setaffinity(0, mask)
        signal.signal(signal.SIGTERM, previous)
    return 0
