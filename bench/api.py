"""The Python API: measure how a function over a list of inputs scales, from a script or a notebook.

    import bench
    results = bench.run(work, inputs, strategies="threads,pool-map", cores=[1, 2])
    results.verdict(); results.table(); results.report("report.html"); results.save("run.json")

Why the matrix runs in a child process (``python -m bench run``) and not in the
caller: running cases makes a process a child subreaper, installs signal
handlers and kills every descendant it does not know of when a case ends.  In
a notebook kernel or an application those are the caller's own children and
handlers.  A child process keeps all of that away from the caller, which gets
back the returned object and the files it asked for, and nothing else: the
scratch folder (task pickle, case specs, the results file) is removed.
"""
from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from bench import function_workload, output_file, storage
from bench.execute import isolation, scratch
from bench.model import MODES, PROFILES, BenchError

__all__ = ["run", "load", "Results", "BenchError", "task_entry"]

#: how the Python API says an existing file may be replaced
FORCE_HINT = "pass force=True to overwrite it"


# ------------------------------------------------------------ building the command (pure)

def _names(value: str | Sequence[str] | None, what: str) -> str | None:
    """'a,b' or ['a', 'b'] -> 'a,b' (None stays None: the CLI's default)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if not isinstance(value, Sequence) or not all(isinstance(item, str) for item in value):
        raise BenchError(f"{what} wants names, got {value!r}")
    return ",".join(value)


def _numbers(value: int | Sequence[int] | None, what: str) -> str | None:
    """[1, 2] or 2 -> '1,2' / '2'; anything but whole numbers (1.7, '2', True) is refused, not rounded."""
    if value is None:
        return None
    items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence) or \
            not all(isinstance(item, int) and not isinstance(item, bool) for item in items):
        raise BenchError(f"{what} wants whole numbers (an int or a list of ints), got {value!r}")
    return ",".join(str(item) for item in items)


def _seconds(value: Any) -> str:
    """timeout: a finite number of seconds above 0, as ``bench run --timeout``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise BenchError(f"timeout wants a finite number of seconds above 0, got {value!r}")
    return str(float(value))


def run_argv(entry: str, name: str, output: Path, *, strategies: Any = None, cores: Any = None,
             workers: Any = None, modes: Any = MODES, profile: str = "quick", timeout: float = 120.0,
             calibrate: bool = False, strategy_modules: str | Sequence[str] = ()) -> list[str]:
    """The ``bench run`` arguments for one function workload."""
    if profile not in PROFILES:
        raise BenchError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    argv = ["run", "--workload-module", entry, "--workloads", name, "-o", str(output), "--no-progress",
            "--modes", _names(modes, "modes") or "", "--profile", profile, "--timeout", _seconds(timeout)]
    options = {"--strategies": _names(strategies, "strategies"), "--cores": _numbers(cores, "cores"),
               "--workers": _numbers(workers, "workers")}
    argv += [item for option, value in options.items() if value is not None for item in (option, value)]
    modules = (_names(strategy_modules, "strategy_modules") or "").split(",")  # "a.b" is one module, not letters
    argv += [item for module in modules if module for item in ("--strategy-module", module)]
    return argv if calibrate else [*argv, "--no-calibrate"]


def caller_paths(path: Sequence[str], prefixes: Sequence[str], cwd: str) -> list[str]:
    """The caller's own import folders (not the interpreter's), so the run imports what it imports."""
    own = [entry or cwd for entry in path if not any(entry.startswith(p) for p in prefixes if p)]
    return list(dict.fromkeys(own))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# ------------------------------------------------------------ running it (I/O)

def _child_env(scratch: str) -> dict[str, str]:
    paths = caller_paths(sys.path, [sys.prefix, sys.base_prefix, sys.exec_prefix], os.getcwd())
    old = os.environ.get("PYTHONPATH")
    joined = os.pathsep.join(paths + ([old] if old else []))
    # TMPDIR: the runner's own scratch folders land in ours and go with it
    return {**os.environ, "PYTHONPATH": joined, "TMPDIR": scratch}


def _run_child(argv: list[str], scratch: str) -> None:
    """``python -m bench ARGV`` in a child; its one-line error becomes a BenchError here.

    The child gets SIGTERM when its caller dies (a killed script or notebook
    kernel): it stops measuring and kills its cases instead of running on alone.
    """
    caller = os.getpid()
    process = subprocess.Popen([sys.executable, "-m", "bench", *argv], env=_child_env(scratch),
                               preexec_fn=lambda: isolation.die_with_parent(caller, signal.SIGTERM),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, err = process.communicate()
    except BaseException:  # Ctrl-C in a notebook: the run stops (its cases are killed), then we do
        process.send_signal(signal.SIGINT)
        process.communicate()
        raise
    if process.returncode not in (0, 1):
        raise BenchError(last_line(err).removeprefix("bench: error: ") or f"bench run exited {process.returncode}")


def run(task: Callable[[Any], Any], inputs: Sequence[Any], *, strategies: str | Sequence[str] | None = None,
        cores: int | Sequence[int] | None = None, workers: int | Sequence[int] | None = None,
        modes: str | Sequence[str] = MODES, profile: str = "quick", name: str | None = None,
        bound: str = "cpu", timeout: float = 120.0, output: str | Path | None = None,
        calibrate: bool = False, strategy_modules: str | Sequence[str] = (), force: bool = False) -> "Results":
    """Measure ``task`` mapped over ``inputs`` with each strategy at each core count.

    Works for functions defined in ``__main__`` or a notebook cell (sent by
    value with cloudpickle).  ``strategies``/``cores``/``workers``/``modes``
    default as in ``bench run``; ``bound`` is one of ``bench.model.BOUNDS``;
    ``strategy_modules`` are importable modules of extra strategies (``STRATEGIES``).
    Writes nothing unless ``output`` is given (checked before anything runs; an
    existing file is only replaced with ``force=True``).  Raises BenchError with one line
    for bad input: a task that is not callable, inputs that are not a list, a
    task that cannot be sent to the case processes, results that cannot be compared.
    """
    workload = function_workload.FunctionWorkload(task, inputs, name, bound)
    if output is not None:
        output_file.claim(Path(output), force, "output", FORCE_HINT)
    scratch.sweep()  # the scratch folders of runs whose caller was killed
    folder = scratch.make("bench-api-")
    try:
        entry = function_workload.pickle_entry(workload, folder / "task.pkl")
        path = folder / "results.json"
        _run_child(run_argv(entry, workload.name, path, strategies=strategies, cores=cores, workers=workers,
                            modes=modes, profile=profile, timeout=timeout, calibrate=calibrate,
                            strategy_modules=strategy_modules), str(folder))
        results = Results(storage.load(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results.raise_if_incomparable()
    if output is not None:
        results.save(output, force=force)
    return results


def load(path: str | Path) -> "Results":
    """A results file (from ``bench run`` or ``Results.save``) as Results."""
    return Results(storage.load(path))


def task_entry(task: str | None, inputs: str | None, name: str | None, bound: str | None) -> tuple[str, str]:
    """``bench run --task/--inputs/--name/--bound`` -> (workload-module entry, workload name).

    Resolves and checks everything now, so bad input is one line before any case runs.
    """
    if not task or not inputs:
        given = [opt for opt, value in (("--task", task), ("--inputs", inputs), ("--name", name),
                                        ("--bound", bound)) if value]
        raise BenchError(f"{', '.join(given)} needs --task MODULE:FUNCTION and --inputs MODULE:FUNCTION|FILE")
    workload = function_workload.FunctionWorkload(function_workload.resolve_reference(task, "--task"),
                                                  function_workload.read_inputs(inputs), name, bound or "cpu")
    workload.task  # noqa: B018  # read for its check: refuses now a task that cannot reach the case processes
    digest = function_workload.inputs_digest(workload.inputs)
    entry = function_workload.reference_entry(task, function_workload.inputs_source(inputs), name, workload.bound,
                                              digest)
    return entry, workload.name


# ------------------------------------------------------------ results

class Results:
    """One run's results: the tidy table, the verdict, the report, comparisons, saving."""

    def __init__(self, results: storage.ResultSet) -> None:
        self.results = results

    def table(self) -> Any:
        """The tidy table (pandas DataFrame): one row per case, as ``bench table``."""
        from bench.analysis.table import tidy

        return tidy(self.results)

    def _rows(self) -> tuple[list[dict[str, Any]], list[Any], dict[Any, str]]:
        from bench.analysis.records import instances
        from bench.render.html.page import keyed_records, labels

        rows = keyed_records(self.results, self.table())
        found = instances(rows)
        return rows, found, labels(found)

    def verdict(self) -> Any:
        """Per workload: the best strategy at the most cores, its speed-up and interval, in words."""
        import pandas as pd

        from bench.analysis.verdict import verdicts

        rows, found, names = self._rows()
        return pd.DataFrame([_verdict_row(v) for v in verdicts(found, names, rows)], columns=VERDICT_COLUMNS)

    def report(self, path: str | Path, base: "Results | None" = None, force: bool = False) -> Path:
        """Write the self-contained HTML report (as ``bench report``) to ``path``.

        As ``bench report``: an existing file is replaced only with ``force=True``,
        a results file never, and a file a live run holds is refused.
        """
        from bench.render.html import document, page

        path = Path(path)
        output_file.claim(path, force, "report", FORCE_HINT, report=True)
        with output_file.locked(path):
            built = page.build(self.results, base.results if base else None, source=str(path))
            return document.write(built, path)

    def compare(self, other: "Results", **options: Any) -> Any:
        """``bench compare SELF OTHER``: self is the base; options as ``bench.analysis.compare.CompareOptions``."""
        from bench.analysis.compare import CompareOptions, compare

        try:
            chosen = CompareOptions(**options)
        except (TypeError, ValueError) as exc:
            raise BenchError(f"compare: {exc}") from None
        return compare(self.results, other.results, chosen)

    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write a pyperf-compatible results file (atomically), as ``bench run -o`` would.

        An existing file is replaced only with ``force=True``; a file a live run holds is refused.
        """
        path = Path(path)
        output_file.claim(path, force, "save", FORCE_HINT)
        with output_file.locked(path):
            storage.save(self.results, path)
        return path

    def raise_if_incomparable(self) -> None:
        errors = [r.error for r in self.results.cases if r.case.is_serial]
        found = function_workload.incomparable_error(errors)
        if found:
            raise BenchError(found)

    def speedup_plots(self) -> dict[str, str]:
        """Per workload label, the report's speed-up figure as a data URI (SVG)."""
        from bench.analysis.records import instance
        from bench.render.html import curves, plots

        rows, found, names = self._rows()
        palette = plots.colours([str(r["strategy"]) for r in rows])
        out = {}
        for inst in found:
            series = curves.series(inst, rows)
            cores = sorted({int(r["cores"]) for r in rows if instance(r) == inst})
            if series:
                out[names[inst]] = plots.speedup_plot(series, cores, palette)
        return out

    def _repr_html_(self) -> str:
        """Jupyter: the verdict table and the speed-up plot, every text escaped."""
        parts = ["<div class='bench-results'>", "<h4>Verdict</h4>", self.verdict().to_html(index=False, escape=True)]
        for label, uri in self.speedup_plots().items():
            parts.append(f"<h4>{html.escape(label)}: speed-up vs cores</h4>")
            parts.append(f"<img alt='speed-up of {html.escape(label, quote=True)}' src='{html.escape(uri)}'>")
        return "\n".join(parts + ["</div>"])

    def __repr__(self) -> str:
        failed = sum(not r.ok for r in self.results.cases)
        return f"<Results: {len(self.results.cases)} cases, {failed} failed>"


VERDICT_COLUMNS = ["workload", "cores", "strategy", "workers", "mode", "speedup", "speedup_ci_low",
                   "speedup_ci_high", "efficiency", "runner_up", "reading", "failed_cases"]


def _verdict_row(row: Any) -> dict[str, Any]:
    best, runner = row.best, row.runner_up
    return {"workload": row.label, "cores": row.cores, "strategy": best.strategy if best else None,
            "workers": best.workers if best else None, "mode": best.mode if best else None,
            "speedup": best.speedup if best else None, "speedup_ci_low": best.ci_low if best else None,
            "speedup_ci_high": best.ci_high if best else None, "efficiency": best.efficiency if best else None,
            "runner_up": runner.strategy if runner else None, "reading": row.reading, "failed_cases": row.n_failed}
