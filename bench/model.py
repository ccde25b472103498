"""Frozen value types and the two protocols every workload and strategy follows.

A *workload* says what work to do (tasks and a picklable task function); a
*strategy* says how to spread that work over workers.  The runner crosses the
two; nothing here does I/O.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

ParamValue = int | float | str
Params = Mapping[str, ParamValue]

#: what limits a workload; picks the machine ceiling its speed-up is judged against
BOUNDS = ("cpu", "memory", "io-latency", "external-process")
#: cold: pool start-up inside the timed region; warm: pool started and warmed before it
MODES = ("cold", "warm")
PROFILES = ("quick", "full")


class BenchError(Exception):
    """Bad input or an unusable environment: the CLI prints it on one line and exits 2."""


@dataclass(frozen=True)
class Param:
    """One documented workload parameter with its defaults for each profile."""

    name: str
    kind: type[int] | type[float] | type[str]
    quick: ParamValue
    full: ParamValue
    help: str
    minimum: float | None = None

    def default(self, profile: str) -> ParamValue:
        return self.full if profile == "full" else self.quick

    def parse(self, text: str) -> ParamValue:
        """Parse a --set value; raise BenchError with a one-line reason."""
        try:
            value = self.kind(text)
        except (TypeError, ValueError):
            raise BenchError(
                f"parameter {self.name!r} wants {self.kind.__name__}, got {text!r}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):  # nan, inf: no task can use them
            raise BenchError(f"parameter {self.name!r} must be a finite number, got {text!r}")
        if self.minimum is not None and not isinstance(value, str) and value < self.minimum:
            raise BenchError(f"parameter {self.name!r} must be >= {self.minimum:g}, got {text!r}")
        return value


@runtime_checkable
class Workload(Protocol):
    """What a workload module exposes (see README, 'Writing a workload').

    ``task`` must be a module-level function so process strategies can pickle it
    by reference; ``make_tasks`` must be deterministic so every strategy gets the
    same inputs and parallel results can be compared with serial ones.
    """

    name: str
    summary: str
    bound: str
    params: tuple[Param, ...]
    #: nested-thread limits for every case of this workload, serial included
    #: (e.g. OMP_THREAD_LIMIT=1 for tesseract); recorded in case metadata
    parallel_env: Mapping[str, str]

    def unavailable_reason(self) -> str | None: ...

    def make_tasks(self, params: Params) -> Sequence[Any]: ...

    @property
    def task(self) -> Callable[[Any], Any]: ...

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]: ...

    def ideal_seconds(self, params: Params, workers: int) -> float | None: ...

    def reduce(self, params: Params, results: list[Any]) -> list[Any]: ...


class WorkloadBase:
    """Convenient defaults for Workload implementations (optional to inherit)."""

    #: class defaults that an instance may set for itself (FunctionWorkload names each one)
    name: str = ""
    summary: str = ""
    bound: str = "cpu"
    params: ClassVar[tuple[Param, ...]] = ()
    parallel_env: ClassVar[Mapping[str, str]] = {}
    #: modules the case launcher imports once for every case ("mod" or "mod:function")
    preload: ClassVar[tuple[str, ...]] = ()
    #: the parameter that counts equal tasks: a cpu-bound workload's default grows to 4 per core of the run's
    #: largest core count (bench.execute.matrix.default_task_count), so the task count does not cap the speed-up
    task_count_param: ClassVar[str | None] = None

    def unavailable_reason(self) -> str | None:
        return None

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        return {}

    def ideal_seconds(self, params: Params, workers: int) -> float | None:
        return None

    def reduce(self, params: Params, results: list[Any]) -> list[Any]:
        """The step after the map (merge counts, read a shared state), timed inside every cycle of both
        arms, so a reduce that dominates is seen; its output is what is checked against serial.
        Default: none, the map's results as they are."""
        return results


@runtime_checkable
class Strategy(Protocol):
    """A way of mapping a function over tasks with some workers.

    Capability flags (joblib's idea) let the runner decide without isinstance:
    ``uses_processes`` (start methods apply, BLAS limits matter) and
    ``needs_pickle`` (task function and tasks cross a process boundary).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    uses_processes: ClassVar[bool]
    needs_pickle: ClassVar[bool]

    def start(self) -> None: ...

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]: ...

    def close(self) -> None: ...


class CompleteStrategy(Strategy, Protocol):
    """A strategy class as the registry hands it out: what the plugin omitted of these is filled in
    from ``StrategyBase`` (``bench.registry.checked_strategy``), so callers may use all of them."""

    requires: ClassVar[tuple[str, ...]]
    preload: ClassVar[tuple[str, ...]]

    def __init__(self, options: StrategyOptions) -> None: ...

    @classmethod
    def unavailable_reason(cls) -> str | None: ...

    @classmethod
    def honours_start_method(cls, scheduler: str | None = None) -> bool: ...

    @classmethod
    def dispatch(cls, n_tasks: int, workers: int) -> list[int] | None: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StrategyOptions:
    """Everything a strategy needs besides the worker count."""

    workers: int
    start_method: str | None = None  # None: the platform default
    scheduler: str | None = None  # dask-distributed: address of an existing cluster
    cores: tuple[int, ...] = ()  # the CPUs the case is pinned to


def parallelism(workers: int, cores: int) -> int:
    """Workers that can actually run at once: ``min(workers, cores)``; the p of every model and account."""
    if workers < 1 or cores < 1:
        raise ValueError(f"workers and cores must be >= 1, got {workers} and {cores}")
    return min(workers, cores)


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: workload (with parameters) x strategy x cores x workers x mode."""

    workload: str
    params: tuple[tuple[str, ParamValue], ...]
    strategy: str
    cores: int
    workers: int
    mode: str
    start_method: str | None = None
    python: str | None = None  # interpreter path; None: the running one

    @property
    def params_label(self) -> str:
        """``n=8,size=25``: the parameters as every table, key and label writes them."""
        return ",".join(f"{k}={v}" for k, v in self.params)

    @property
    def instance(self) -> str:
        """The workload instance, ``fib[n=8]@python``: cases with the same one must give the same results."""
        return f"{self.workload}[{self.params_label}]" + (f"@{self.python}" if self.python else "")

    @property
    def key(self) -> str:
        """Stable unique name; also the pyperf benchmark name."""
        parts = [f"{self.workload}[{self.params_label}]", self.strategy, f"cores={self.cores}",
                 f"workers={self.workers}", self.mode]
        if self.start_method:
            parts.append(f"start={self.start_method}")
        if self.python:
            parts.append(f"python={self.python}")
        return "/".join(parts)

    @property
    def params_dict(self) -> dict[str, ParamValue]:
        return dict(self.params)

    @property
    def single_worker(self) -> Case:
        """The same strategy and mode with one worker on one core: what ``single_worker_speedup`` divides by
        (bench.analysis.single_worker), what `bench run` adds where its matrix lacks it (bench.execute.matrix)."""
        return replace(self, cores=1, workers=1)

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON (results files, case-process specs); ``from_dict`` reads it back."""
        return {"workload": self.workload, "params": dict(self.params), "strategy": self.strategy,
                "cores": self.cores, "workers": self.workers, "mode": self.mode,
                "start_method": self.start_method, "python": self.python}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Case:
        """Raises KeyError, TypeError or ValueError on a malformed record (the caller names the file)."""
        return cls(workload=str(record["workload"]),
                   params=tuple(sorted((str(k), v) for k, v in dict(record["params"]).items())),
                   strategy=str(record["strategy"]), cores=int(record["cores"]),
                   workers=int(record["workers"]), mode=str(record["mode"]),
                   start_method=record.get("start_method"), python=record.get("python"))

    @property
    def is_serial(self) -> bool:
        return self.strategy == "serial"

    @property
    def serial_baseline(self) -> Case:
        """The serial case this case's row is read beside: same work, cores and interpreter (``baseline_key``)."""
        return replace(self, strategy="serial", workers=1, mode="warm", start_method=None)

    @property
    def baseline_key(self) -> tuple[Any, ...]:
        """Which serial case this case's speed-up is measured against: same work, cores and interpreter."""
        return (self.workload, self.params, self.cores, self.python)

    @property
    def parallelism(self) -> int:
        """p: the workers that can run at once (at least 1)."""
        return parallelism(max(1, self.workers), max(1, self.cores))


@dataclass(frozen=True)
class CaseResult:
    """What measuring one case produced; values are raw seconds, warm-ups kept apart."""

    case: Case
    values: tuple[float, ...]
    warmups: tuple[float, ...]
    ok: bool
    error: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: the serial reference cycles measured in pairs with ``values`` (``reference[i]`` and
    #: ``values[i]`` are one round); empty for the serial case and for files before schema 2
    reference: tuple[float, ...] = ()
    reference_warmups: tuple[float, ...] = ()

    @property
    def paired(self) -> bool:
        """Whether the speed-up can come from pairs measured in the same rounds."""
        return bool(self.reference) and len(self.reference) == len(self.values)
