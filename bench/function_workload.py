"""A plain function and a list of inputs as a workload ("bring your own function").

Case processes are fresh processes, so the function and its inputs must reach
them.  Two ways, both written as one *workload-module entry* (the string the
runner already hands every case process, see ``registry.import_workload_module``):

- by reference, ``bench-function:{"task": "pkg.mod:func", "inputs": ...}``: the
  case process imports the names again (what ``bench run --task`` stores, so a
  results file can be resumed);
- by value, ``bench-function:{"pickle": "/path/task.pkl"}``: the workload
  cloudpickled to a file (what ``bench.run(func, inputs)`` uses, so functions
  defined in ``__main__`` or a notebook cell work).

Inside the case, process strategies pickle the task with the standard pickle;
a function that pickle can only send by a reference the workers cannot follow
(``__main__``, a lambda) is wrapped in :class:`ByValue`, which reaches each worker
once (a digest per task, the cloudpickle bytes read from a file on first use).
"""
from __future__ import annotations

import atexit
import hashlib
import importlib
import json
import os
import pickle
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from bench.measure.equality import INCOMPARABLE  # the phrase of the error when results cannot be fingerprinted
from bench.model import BOUNDS, BenchError, Params, WorkloadBase

#: prefix of a workload-module entry that describes a function workload
ENTRY_PREFIX = "bench-function:"
_INPUT_SEQUENCES = (list, tuple, range)


# ------------------------------------------------------------ validation (pure)

def check_task(task: Any) -> Callable[[Any], Any]:
    """A task must be callable; say so in one line otherwise."""
    if not callable(task):
        raise BenchError(f"task {task!r} is not callable; pass a function that takes one input")
    return task


def check_inputs(inputs: Any) -> list[Any]:
    """Inputs must be a list (a tuple or range is accepted): every strategy maps over the same items."""
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, _INPUT_SEQUENCES):
        raise BenchError(f"inputs must be a list, got {type(inputs).__name__}; pass list(...) of the inputs")
    if len(inputs) == 0:
        raise BenchError("inputs is an empty list: there is nothing to measure")
    return list(inputs)


def check_bound(bound: str) -> str:
    """A bound picks the machine ceiling a speed-up is judged against, so only known ones."""
    if bound not in BOUNDS:
        raise BenchError(f"unknown bound {bound!r}; known: {', '.join(BOUNDS)}")
    return bound


def workload_name(task: Callable[..., Any], name: str | None) -> str:
    """The given name, else the function's, reduced to what a case key and --set accept."""
    raw = name if name is not None else getattr(task, "__name__", "") or "task"
    cleaned = re.sub(r"[^\w-]", "", raw).lstrip("-") or "task"
    if name is not None and cleaned != name:
        raise BenchError(f"workload name {name!r} may only use letters, digits, '_' and '-'")
    return cleaned


# ------------------------------------------------------------ carrying a function by value
#
# Once per worker, not once per task.  A by-value function carries its globals (a 1 MiB
# table read by the function: 1 MiB); sent with every task, that payload was pickled, sent
# and hashed per task, a cost the user's own program (a pool sending an importable
# function by name) never pays: processes x0.67 on one core instead of x0.96.  So a task
# carries only the payload's digest and the path of a file that holds it, written once by
# the case process; a worker reads and unpickles the file the first time it meets the
# digest and keeps the function (``_loaded``).  A forked worker inherits the case
# process's own entry and reads nothing.  ``transfers`` counts the payloads read here.

_loaded: dict[str, "ByValue"] = {}
#: payloads this process read and unpickled (once per digest): what the tests count
transfers = 0


def _cloudpickle() -> Any:
    import cloudpickle  # a dependency; imported late: only function workloads need it

    return cloudpickle


#: what to do when cloudpickle cannot send it, by what it is
_PICKLE_ADVICE = {
    "task": "define it at module level in an importable module, or make it capture only picklable values",
    "inputs": "make the inputs plain data (numbers, strings, paths, lists, arrays), not locks, open files, "
              "generators or connections; or return them from a function and pass --inputs MODULE:FUNCTION",
}


def _dumps_by_value(obj: Any, what: str) -> bytes:
    """cloudpickle bytes, or a BenchError that says what to do instead."""
    try:
        return _cloudpickle().dumps(obj)
    except Exception as exc:  # pickling errors come in many types (TypeError, PicklingError, ...)
        raise BenchError(f"cannot send the {what} to the case processes, even by value with cloudpickle "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                         f"{_PICKLE_ADVICE.get(what, _PICKLE_ADVICE['task'])}") from None


def _restore(digest: str, path: str) -> "ByValue":
    """Unpickling side of :class:`ByValue`: the payload is read once per digest and process."""
    global transfers
    found = _loaded.get(digest)
    if found is None:
        try:
            payload = Path(path).read_bytes()
        except OSError as exc:  # a worker on another machine (a remote dask scheduler) sees no such file
            raise RuntimeError(f"the by-value task function's payload {path} cannot be read in this worker "
                               f"({exc.strerror}); a worker on another host needs the task importable by "
                               "name (bench run --task MODULE:FUNCTION)") from None
        transfers += 1
        found = ByValue(_cloudpickle().loads(payload), payload)
    return found


def _remove_later(path: Path) -> None:
    """Remove the payload file when the process that wrote it exits (never from a forked child)."""
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:
            path.unlink(missing_ok=True)
    atexit.register(remove)


class ByValue:
    """A task function that the standard pickle carries by value, once per worker.

    Process strategies pickle tasks with the standard pickle, which sends a
    function as a name to import; a function from ``__main__`` or a notebook
    cell has no such name in the workers.  Pickled, it is a digest and a file path
    (about 100 bytes); see the comment above.
    """

    def __init__(self, func: Callable[[Any], Any], payload: bytes | None = None) -> None:
        self.func = func
        self.payload = payload if payload is not None else _dumps_by_value(func, "task")
        self.digest = hashlib.sha256(self.payload).hexdigest()
        self.__name__ = getattr(func, "__name__", "task")
        self._path: Path | None = None
        _loaded.setdefault(self.digest, self)

    def __call__(self, item: Any) -> Any:
        return self.func(item)

    def payload_path(self) -> Path:
        """The file that holds the payload, written on first use by this process."""
        if self._path is None or not self._path.exists():
            handle, name = tempfile.mkstemp(prefix=f"bench-task-{self.digest[:12]}-", suffix=".pkl")
            with os.fdopen(handle, "wb") as out:
                out.write(self.payload)
            self._path = Path(name)
            _remove_later(self._path)
        return self._path

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.digest, str(self.payload_path())))


def _importable_by_name(func: Callable[..., Any]) -> bool:
    """True when the standard pickle can send the function as a name the workers can import."""
    if getattr(func, "__module__", None) in (None, "__main__", "__mp_main__"):
        return False
    try:
        pickle.dumps(func)
    except Exception:
        return False
    return True


def portable_task(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The function itself when workers can import it (no overhead), else it wrapped by value."""
    return func if _importable_by_name(func) else ByValue(func)


# ------------------------------------------------------------ the workload

class FunctionWorkload(WorkloadBase):
    """Map one function over one fixed list of inputs; no parameters."""

    params = ()

    def __init__(self, task: Callable[[Any], Any], inputs: Sequence[Any], name: str | None = None,
                 bound: str = "cpu") -> None:
        self.func = check_task(task)
        self.inputs = check_inputs(inputs)
        self.name = workload_name(task, name)
        self.bound = check_bound(bound)
        self.summary = f"{getattr(task, '__qualname__', self.name)} over {len(self.inputs)} inputs"
        self._task: Callable[[Any], Any] | None = None

    @property
    def task(self) -> Callable[[Any], Any]:
        if self._task is None:
            self._task = portable_task(self.func)
        return self._task

    def make_tasks(self, params: Params) -> list[Any]:
        return list(self.inputs)

    def summarize(self, params: Params, results: Sequence[Any]) -> dict[str, float]:
        return {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_task": None}  # the wrapper is rebuilt where it is used


# ------------------------------------------------------------ entries: how a case process finds it

def pickle_entry(workload: FunctionWorkload, path: Path) -> str:
    """Write the workload by value to ``path``; the entry that loads it again."""
    _dumps_by_value(workload.func, "task")  # first alone: the error then names what failed
    payload = _dumps_by_value(workload, "inputs")
    path.write_bytes(payload)
    return ENTRY_PREFIX + json.dumps({"pickle": str(path)})


def reference_entry(task: str, inputs: str, name: str | None, bound: str, digest: str | None = None) -> str:
    """An entry that imports the task and its inputs again by name (or reads an inputs file).

    ``digest`` (``inputs_digest``) lets ``--resume`` see that the inputs changed since.
    """
    spec = {"task": task, "inputs": inputs, "name": name, "bound": bound}
    return ENTRY_PREFIX + json.dumps({**spec, "inputs_digest": digest} if digest else spec)


def inputs_digest(inputs: Sequence[Any]) -> str | None:
    """A fingerprint of the inputs (None when they cannot be pickled: then nothing is checked)."""
    import hashlib

    try:
        return hashlib.sha256(pickle.dumps(list(inputs), protocol=4)).hexdigest()[:32]
    except Exception:  # unpicklable inputs travel by reference; nothing to fingerprint
        return None


def inputs_source(inputs: str) -> str:
    """--inputs as stored: a file by its absolute path (a resume may start elsewhere), else MODULE:NAME."""
    return str(Path(inputs).resolve()) if is_inputs_file(inputs) else inputs


def is_entry(module_name: str) -> bool:
    return module_name.startswith(ENTRY_PREFIX)


def load_entry(entry: str) -> FunctionWorkload:
    """The workload an entry describes (in the case process, or to validate it up front)."""
    spec = json.loads(entry[len(ENTRY_PREFIX):])
    if "pickle" in spec:
        return _cloudpickle().loads(Path(spec["pickle"]).read_bytes())
    task = check_task(resolve_reference(spec["task"], "--task"))
    return FunctionWorkload(task, read_inputs(spec["inputs"]), spec.get("name"), spec.get("bound") or "cpu")


# ------------------------------------------------------------ references and input files (I/O)

def cwd_on_path() -> None:
    """Make the current folder importable, as ``python -m`` does (the ``bench`` script does not)."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)


def where_looked() -> str:
    """For import errors: the folders searched, current one first."""
    shown = [p or os.getcwd() for p in sys.path[:4]]
    return f"looked in the current folder {os.getcwd()} and sys.path ({', '.join(shown)}, ...)"


def resolve_reference(reference: str, option: str) -> Any:
    """``pkg.mod:name`` -> the object; one-line errors for a malformed or missing name."""
    module_name, _, attr = reference.partition(":")
    if not module_name or not attr:
        raise BenchError(f"{option} wants MODULE:NAME (e.g. mypkg.work:process), got {reference!r}")
    cwd_on_path()
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise BenchError(f"{option}: cannot import {module_name!r} ({type(exc).__name__}: {exc}); "
                         f"{where_looked()}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise BenchError(f"{option}: module {module_name!r} has no {attr!r}") from None


#: an inputs file larger than this is refused (a text file linked to /dev/zero, a stray dump)
MAX_INPUTS_FILE_BYTES = 2 * 1024 ** 3


def is_inputs_file(text: str) -> bool:
    """A path, not ``MODULE:NAME``: a reference always has a colon, and a name that exists is a file."""
    return ":" not in text or text.endswith((".json", ".txt")) or os.path.exists(text)


def _checked_inputs_path(source: str) -> Path:
    """The inputs file, or one line: missing, not a regular file (a FIFO would hang, a device never end), too big."""
    path = Path(source)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BenchError(f"--inputs wants MODULE:NAME or an existing file, got {source!r} (file not found)") from None
    except OSError as exc:
        raise BenchError(f"--inputs: cannot read {source!r} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise BenchError(f"--inputs: {source!r} is not a regular file (a FIFO, device or folder); "
                         "give a JSON or text file")
    if info.st_size > MAX_INPUTS_FILE_BYTES:
        raise BenchError(f"--inputs: {source!r} is {info.st_size} bytes, more than the "
                         f"{MAX_INPUTS_FILE_BYTES} an inputs file may hold")
    return path


def read_inputs(source: str) -> list[Any]:
    """Inputs from a JSON list file, a text file (one input per line) or ``pkg.mod:make_inputs``."""
    if not is_inputs_file(source):
        make = resolve_reference(source, "--inputs")
        return check_inputs(make() if callable(make) else make)
    path = _checked_inputs_path(source)
    try:
        text = path.read_text()
    except OSError as exc:
        raise BenchError(f"--inputs: cannot read {source!r} ({exc.strerror or exc})") from None
    if path.suffix != ".json":
        return check_inputs([line for line in text.splitlines() if line.strip()])
    try:
        return check_inputs(json.loads(text))
    except json.JSONDecodeError as exc:
        raise BenchError(f"--inputs: {source!r} is not valid JSON ({exc})") from None


def incomparable_error(errors: Sequence[str]) -> str | None:
    """The comparability failure among case errors, without its exception-type prefix."""
    for error in errors:
        if INCOMPARABLE in error:
            return error.split(": ", 1)[1] if error.startswith("ResultNotComparable: ") else error
    return None
