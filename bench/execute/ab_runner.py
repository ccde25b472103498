"""The matrix in interleaved A/B mode: every case measured on both sides, two results files.

Order of work is the runner's (per core count and workload, serial first); each
case is one ``bench.execute.ab.measure_pair``.  Both files are rewritten atomically after
every case, so an interruption keeps what was measured (there is no --resume:
restarting re-measures both sides together, which is the point of the mode).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from bench import storage
from bench.execute import interrupts
from bench.execute.ab import (
    LABELS,
    WORKER_SOURCE,
    Channel,
    Side,
    SideRecord,
    measure_pair,
    side_env,
    to_result,
)
from bench.execute.isolation import become_subreaper, descendant_pids, reap_descendants
from bench.execute.runner import case_env
from bench.machine import topology
from bench.measure.core import TimingPlan, session_plans
from bench.model import BenchError, Case, Workload

_PROBE = ("import json, platform, sys; print(json.dumps({'python_version': platform.python_version(), "
          "'python_implementation': platform.python_implementation(), 'python_executable': sys.executable}))")


@dataclass
class ABSettings:
    outputs: Mapping[str, Path]
    plan: TimingPlan
    timeout: float = 120.0
    workload_modules: Sequence[str] = ()
    strategy_modules: Sequence[str] = ()
    cpus: Sequence[int] = field(default_factory=list)
    progress: bool = True
    processes: int = 1  # fresh process pairs per case, the values shared among them
    references: bool = False  # each side also measures its serial reference, paired (speed-up comparisons)


def probe_python(python: str) -> dict[str, Any]:
    """Version of another interpreter, which also proves that it starts; BenchError if not."""
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"cannot run interpreter {python!r}: {type(exc).__name__}: {exc}") from None
    if out.returncode != 0:
        raise BenchError(f"interpreter {python!r} failed to start (exit code {out.returncode})")
    return json.loads(out.stdout)


def check_pairs(cases: Mapping[str, Sequence[Case]]) -> list[dict[str, Case]]:
    """The sides' matrices may differ in workload parameters only."""
    from bench.analysis.compare import identity

    a, b = (cases[label] for label in LABELS)
    if [identity(c) for c in a] != [identity(c) for c in b]:
        raise BenchError("the A and B matrices differ in more than workload parameters")
    return [dict(zip(LABELS, pair)) for pair in zip(a, b)]


class ABRunner:
    def __init__(self, sides: Mapping[str, Side], settings: ABSettings, workloads: Mapping[str, Workload],
                 results: Mapping[str, storage.ResultSet]) -> None:
        self.sides, self.settings, self.workloads, self.results = sides, settings, workloads, results
        self.scratch = Path(tempfile.mkdtemp(prefix="bench-ab-"))
        self.source = WORKER_SOURCE.read_text()
        self.started = 0  # processes started, to name their scratch files

    def run(self, cases: Mapping[str, Sequence[Case]]) -> Mapping[str, storage.ResultSet]:
        todo = check_pairs(cases)
        become_subreaper()
        existing = descendant_pids()
        try:
            for index, pair in enumerate(todo, 1):
                self.run_pair(pair)
                self._save()
                self._report(index, len(todo), pair)
                interrupts.check()
            for results in self.results.values():
                results.complete = True
            self._save()
        finally:
            reap_descendants(keep=existing)  # an interruption may land between start and kill
            shutil.rmtree(self.scratch, ignore_errors=True)
        return self.results

    def run_pair(self, pair: Mapping[str, Case]) -> None:
        records = {label: SideRecord() for label in pair}
        expected = {label: self.results[label].expected.get(case.instance) for label, case in pair.items()}
        for label, case in pair.items():
            if not case.is_serial and expected[label] is None:
                records[label].error = "no serial baseline to check results against (serial case failed)"
        plans = session_plans(self.settings.plan, self.settings.processes)
        for plan in plans:  # a fresh pair of processes for each share of the values
            interrupts.check()  # a Ctrl-C or SIGTERM that landed while a side was forked is not lost
            existing = descendant_pids()
            channels = self._start_all(pair, expected, records)
            if not channels:
                break
            measure_pair(channels, {label: records[label] for label in channels}, plan, self.settings.timeout,
                         self.settings.references and not pair["A"].is_serial, keep=frozenset(existing))
        for label, case in pair.items():
            result = to_result(case, records[label], label, len(plans))
            if result.ok:  # the table's cpu_placement, as bench run records it
                placed = topology.placement(topology.current(), list(self.settings.cpus)[: case.cores])
                result = replace(result, metadata={**result.metadata, "cpu_placement": placed})
            self.results[label].cases.append(result)
            if result.ok and case.is_serial and expected[label] is None:
                self.results[label].expected[case.instance] = records[label].final.get("fingerprints", [])

    def _start_all(self, pair: Mapping[str, Case], expected: Mapping[str, list[str] | None],
                   records: Mapping[str, SideRecord]) -> dict[str, Channel]:
        """One process per side that has not failed yet."""
        channels = {}
        for label, case in pair.items():
            if not records[label].error:
                channel = self._start(label, case, expected[label], records[label])
                if channel is not None:
                    channels[label] = channel
        return channels

    def _start(self, label: str, case: Case, expected: list[str] | None, record: SideRecord) -> Channel | None:
        side = self.sides[label]
        cpus = list(self.settings.cpus)[: case.cores]
        self.started += 1
        stem = self.scratch / f"process{self.started}-{label}"
        spec = {"case": case.to_dict(),
                "cpus": cpus, "expected": expected, "workload_modules": list(self.settings.workload_modules),
                "strategy_modules": list(self.settings.strategy_modules)}
        spec_path = stem.with_suffix(".spec.json")
        spec_path.write_text(json.dumps(spec))
        argv = [side.python or sys.executable, "-c", self.source, str(spec_path)]
        env = side_env(case_env(case, self.workloads[case.workload]), side)
        try:
            # cwd is the scratch folder: with -c, sys.path[0] is the cwd and must not shadow the side's code
            return Channel(argv, cpus, env, self.scratch, stem.with_suffix(".log"))
        except OSError as exc:
            record.error = f"cannot start case process: {type(exc).__name__}: {exc}"
            return None

    def _save(self) -> None:
        for label, results in self.results.items():
            storage.save(results, self.settings.outputs[label])

    def _report(self, index: int, total: int, pair: Mapping[str, Case]) -> None:
        if not self.settings.progress:
            return
        from bench.analysis.compare import identity_label
        from bench.render.compare_text import format_seconds

        parts = []
        for label in pair:
            result = self.results[label].cases[-1]
            values = sorted(result.values)
            parts.append(f"{label} {format_seconds(values[len(values) // 2])}" if values
                         else f"{label} FAILED ({result.error})")
        print(f"[{index}/{total}] {identity_label(pair['A'])}: {', '.join(parts)}", file=sys.stderr)
