"""A GIL-releasing library task for the not-parallelism reading: zlib over 1 MiB buffers.

    bench run --task bench.demos.gil_release:compress --inputs bench.demos.gil_release:make_inputs \\
        --strategies threads --cores 1,2 --modes warm -o results/zlib.json
    bench table results/zlib.json --columns strategy,cores,speedup,single_worker_speedup,scaling_speedup

zlib's C code releases the GIL, so threads really run in parallel; but one worker thread on
one core already beats the serial loop in the main thread (glibc gives the main thread the
main malloc arena, which trims and re-faults the freed output buffers; a worker thread's
own arena keeps them), so the 2-core speed-up can exceed x2.  ``scaling_speedup`` divides
that one-worker gain out.
"""
from __future__ import annotations

import random
import zlib

#: one 1 MiB buffer of compressible bytes (words from a small vocabulary), built once per process
SIZE = 1 << 20
_WORDS = [bytes(random.Random(k).choices(b"abcdefghij", k=1 + k % 9)) for k in range(512)]


def _buffer(seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < SIZE:
        out += rng.choice(_WORDS) + b" "
    return bytes(out[:SIZE])


_BUFFERS: dict[int, bytes] = {}


def compress(seed: int) -> int:
    """The compressed size of buffer ``seed`` at level 6 (deterministic, so results compare)."""
    data = _BUFFERS.get(seed)
    if data is None:
        data = _BUFFERS[seed] = _buffer(seed)
    return len(zlib.compress(data, 6))


def make_inputs() -> list[int]:
    """Eight buffers: four seeds, each twice (equal tasks)."""
    return [0, 1, 2, 3] * 2
