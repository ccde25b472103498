"""Where each side of `bench ab` imports its code from, checked before anything is measured.

Why: a side is told where its code lives (``--a-pythonpath ../base``, or the
worktree `bench ab --base REF` makes), but Python imports whatever it finds
first.  A folder that does not hold the code (an empty one, ``base/bench`` one
level too deep) silently ran this checkout on side A while the file recorded
the base's commit, and ``bench compare`` then said "PASS: 3 unchanged" about a
real 2x slowdown.  So each side's interpreter is asked, in its own environment,
to import the modules the run needs (the harness, the built-in workloads when
used, the workload, task and strategy modules) and say from which file; the
driver prints that and refuses (exit 2) a side whose folder provided none of
them, or that imported from elsewhere a module its folder holds.  A side that
does not start or cannot import them is refused the same way: bad input,
before the matrix, not a run of failed cases that a gate could read as "fixed".
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bench import function_workload
from bench.execute.ab import Side, side_env
from bench.model import BenchError

PROBE_TIMEOUT = 120.0  # seconds: a cold import of numpy/dask on a loaded machine
_PROBE = """
import importlib, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = {"file": getattr(importlib.import_module(name), "__file__", None) or ""}
    except BaseException as exc:
        found[name] = {"error": f"{type(exc).__name__}: {exc}"}
print(json.dumps(found))
"""


def module_names(workload_modules: Iterable[str], strategy_modules: Iterable[str], builtin: bool) -> list[str]:
    """The modules a side must import from its own code: the harness, and the user's (task modules of a --task)."""
    names = ["bench", *(["workloads"] if builtin else [])]
    for entry in workload_modules:
        if function_workload.is_entry(entry):
            spec = json.loads(entry[len(function_workload.ENTRY_PREFIX):])
            names += [ref.partition(":")[0] for ref in (spec.get("task"), spec.get("inputs"))
                      if ref and not function_workload.is_inputs_file(ref)]
        else:
            names.append(entry)
    return list(dict.fromkeys([*names, *strategy_modules]))


def probe(side: Side, names: Sequence[str], env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """{module: file} as the side's interpreter imports them; BenchError when it does not start or import."""
    python = side.python or sys.executable
    try:
        out = subprocess.run([python, "-c", _PROBE, *names], capture_output=True, text=True, env=dict(env),
                             cwd=cwd, timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"side {side.label} does not start ({python}): {type(exc).__name__}: {exc}") from None
    try:
        found = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        lines = [line.strip() for line in out.stderr.splitlines() if line.strip()]
        fatal = [line for line in lines if line.startswith(("Fatal Python error", "ModuleNotFoundError"))]
        why = (fatal or lines[-1:] or [f"exit code {out.returncode}"])[-1][:200]
        raise BenchError(f"side {side.label} does not start ({python}): {why}") from None
    for name, item in found.items():
        if "error" in item:
            where = f" with {', '.join(side.pythonpath)} first on its path" if side.pythonpath else ""
            raise BenchError(f"side {side.label} cannot import {name}{where}: {item['error'][:200]}")
    return {name: item["file"] for name, item in found.items()}


def _under(file: str, folder: Path) -> bool:
    return bool(file) and Path(file).resolve().is_relative_to(folder.resolve())


def _holds(folder: Path, name: str) -> bool:
    """Whether ``folder`` has a module or regular package of this top-level name."""
    top = name.split(".")[0]
    return (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()


def shown(file: str) -> str:
    """A package as its folder, a module as its file."""
    path = Path(file)
    return str(path.parent if path.name == "__init__.py" else path)


def misplaced(side: Side, files: Mapping[str, str]) -> str | None:
    """Why the side did not import its code from where it was told; None when it did."""
    for folder in map(Path, side.pythonpath):
        if not any(_under(file, folder) for file in files.values()):
            found = ", ".join(f"{name} from {shown(file)}" for name, file in files.items())
            return (f"side {side.label} imported nothing from {folder} ({found}): name the folder that holds "
                    "the code (the checkout's top, where the package or module is)")
        for name, file in files.items():
            if _holds(folder, name) and not _under(file, folder):
                return f"side {side.label} imported {name} from {shown(file)}, not from {folder}, which holds it"
    return None


def check_sides(sides: Mapping[str, Side], names: Sequence[str], base_env: Mapping[str, str], cwd: Path,
                describe: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Probe and check every side, printing where each imports from; BenchError on the first bad one."""
    found = {}
    for label, side in sides.items():
        files = probe(side, names, side_env(base_env, side), cwd)
        problem = misplaced(side, files)
        if problem:
            raise BenchError(problem)
        where = ", ".join(f"{name} from {shown(file)}" for name, file in files.items())
        print(f"bench: side {label}{describe.get(label, '')} imports {where}", file=sys.stderr)
        found[label] = files
    return found
