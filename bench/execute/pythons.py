"""Interpreters as an axis: `bench run --python 3.12,3.13` or `--python PATH[,PATH]`.

A case under another interpreter runs ``PYTHON -m bench.entrypoints.case_process``, so that
interpreter needs this project and its dependencies.  Design: one virtual
environment per interpreter under ``.venvs/<version>[t]`` (t: free-threaded
build), made once with ``make venv-3.12`` (= ``python -m bench.execute.pythons
setup 3.12``: ``python3.12 -m venv`` + ``pip install -e .``).  The run never
installs anything itself: it resolves each item, probes it (bench/entrypoints/pyprobe.py)
and fails with one line saying what to do when it is not set up.

Resolving an item: a path is taken as given (an interpreter without the
project is swapped for its `.venvs/` environment when there is one); a version
such as ``3.12`` or ``3.13t`` is looked up in ``.venvs/``, then in pyenv's
versions, then as ``python3.12`` on PATH.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from bench.measure.metadata import python_label
from bench.model import BenchError

ROOT = Path(__file__).resolve().parents[2]  # the checkout: bench/execute/ -> bench/ -> here
VENVS = ROOT / ".venvs"
MIN_VERSION = (3, 11)
PROBE_TIMEOUT = 120.0
_VERSION = re.compile(r"^(\d+)\.(\d+)(\.\d+)?(t?)$")


@dataclass(frozen=True)
class Interpreter:
    """One interpreter a run uses, as probed."""

    path: str  # absolute but not symlink-resolved: a venv's python must stay the venv's
    version: str
    free_threaded: bool
    gil_enabled: bool
    unavailable: Mapping[str, str | None] = field(default_factory=dict)  # strategy -> reason

    @property
    def label(self) -> str:
        return python_label(self.version, self.free_threaded, self.gil_enabled)


def venv_name(version: str, free_threaded: bool) -> str:
    return f"{version}{'t' if free_threaded else ''}"


# ------------------------------------------------------------------ finding

def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.parent.parent.name)[:3])


def _candidates(spec: re.Match[str]) -> list[Path]:
    """Interpreters a version spec (matched by _VERSION) may name, best first: project venvs, pyenv, PATH."""
    major, minor, patch, threaded = spec.groups()
    exe = f"python{major}.{minor}{threaded}"
    found: list[Path] = []
    for base, binary in ((VENVS, "python"), (_pyenv_root() / "versions", exe)):
        # "3.13" must not pick the free-threaded 3.13.0t, nor "3.13t" the GIL build
        matches = [p / "bin" / binary for p in base.glob(f"{major}.{minor}{patch or ''}*")
                   if (p / "bin" / binary).exists() and p.name.endswith("t") == bool(threaded)]
        found += sorted(matches, key=_version_key, reverse=True)
    on_path = shutil.which(exe)
    return found + ([Path(on_path)] if on_path else [])


def locate(item: str) -> str:
    """An --python item -> an absolute interpreter path; BenchError when there is none."""
    spec = _VERSION.match(item)
    if spec:
        candidates = _candidates(spec)
        if not candidates:
            raise BenchError(f"--python {item}: no such interpreter in .venvs/, pyenv's versions or PATH")
        return str(candidates[0].absolute())
    path = Path(item).expanduser() if os.sep in item else Path(shutil.which(item) or item)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise BenchError(f"--python {item}: no such interpreter (not an executable file)")
    return str(path.absolute())


# ------------------------------------------------------------------ probing

def probe(path: str, strategies: Sequence[str] = ()) -> dict[str, Any]:
    """Run bench/entrypoints/pyprobe.py's source under `path`; its JSON answer, or BenchError."""
    source = (ROOT / "bench" / "entrypoints" / "pyprobe.py").read_text()
    try:
        out = subprocess.run([path, "-c", source, *strategies], capture_output=True, text=True,
                             timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"--python {path}: cannot run it ({type(exc).__name__}: {exc})") from None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        why = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[-1][:200]
        raise BenchError(f"--python {path}: not a usable Python interpreter ({why})") from None


def _setup_hint(info: dict[str, Any]) -> str:
    major_minor = ".".join(str(n) for n in info["version_info"]) + ("t" if info["free_threaded"] else "")
    return (f"create its environment once with: make venv-{major_minor} "
            f"(or {sys.executable} -m bench.execute.pythons setup {info['executable']})")


def _usable(item: str, path: str, info: dict[str, Any]) -> None:
    """BenchError unless the probed interpreter can run this checkout's cases."""
    if tuple(info["version_info"]) < MIN_VERSION:
        raise BenchError(f"--python {item}: Python {info['version']} is too old (this project needs 3.11+)")
    if info.get("missing"):
        raise BenchError(f"--python {item}: Python {info['version']} at {path} cannot run cases "
                         f"({info['missing']}); {_setup_hint(info)}")
    here = Path(info["bench_file"]).resolve().parent.parent
    if here != ROOT:
        raise BenchError(f"--python {item}: {path} imports bench from {here}, not from this checkout {ROOT}; "
                         f"{_setup_hint(info)}")


def resolve(item: str, strategies: Sequence[str] = ()) -> Interpreter:
    """Locate and probe one --python item; swap a bare interpreter for its project venv."""
    path = locate(item)
    info = probe(path, strategies)
    if info.get("missing") and tuple(info["version_info"]) >= MIN_VERSION:
        venv_python = VENVS / venv_name(info["version"], info["free_threaded"]) / "bin" / "python"
        if venv_python.exists() and str(venv_python.absolute()) != path:
            path, info = str(venv_python.absolute()), probe(str(venv_python.absolute()), strategies)
    _usable(item, path, info)
    return Interpreter(path=path, version=info["version"], free_threaded=bool(info["free_threaded"]),
                       gil_enabled=bool(info["gil_enabled"]), unavailable=dict(info.get("unavailable", {})))


def resolve_all(text: str, strategies: Sequence[str] = ()) -> list[Interpreter]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise BenchError("--python names nothing")
    found: dict[str, Interpreter] = {}
    for item in items:
        interpreter = resolve(item, strategies)
        found.setdefault(interpreter.path, interpreter)
    return list(found.values())


# ------------------------------------------------------------------ the matrix (pure)

def availability(interpreters: Sequence[Interpreter], strategy: str) -> str | None:
    """None when the strategy runs under at least one interpreter; else the first reason."""
    reasons = [i.unavailable.get(strategy) for i in interpreters]
    if any(reason is None for reason in reasons):
        return None
    return f"under every --python: {reasons[0]}"


def unavailable_pairs(interpreters: Sequence[Interpreter]) -> dict[str, dict[str, str]]:
    """{python path: {strategy: reason}} for the config, so --resume filters the same way."""
    return {i.path: {s: r for s, r in i.unavailable.items() if r} for i in interpreters
            if any(i.unavailable.values())}


def drop_unavailable(cases: Sequence[Any],
                     pairs: Mapping[str, Mapping[str, str]]) -> tuple[list[Any], list[dict[str, str]]]:
    """Cases whose strategy cannot run under their interpreter go, each pair once in `skipped`."""
    kept, skipped, seen = [], [], set()
    for case in cases:
        reason = pairs.get(case.python or "", {}).get(case.strategy)
        if reason is None:
            kept.append(case)
        elif (case.strategy, case.python) not in seen:
            seen.add((case.strategy, case.python))
            skipped.append({"strategy": case.strategy, "python": case.python, "reason": reason})
    return kept, skipped


# ------------------------------------------------------------------ setting one up

def setup(item: str) -> Path:
    """Create (or refresh) .venvs/<version> for one interpreter with this project installed."""
    path = locate(item)
    info = probe(path)
    if tuple(info["version_info"]) < MIN_VERSION:
        raise BenchError(f"{item}: Python {info['version']} is too old (this project needs 3.11+)")
    if Path(path).is_relative_to(VENVS):  # already one of ours: refresh it in place
        target = Path(path).parent.parent
    else:
        target = VENVS / venv_name(info["version"], info["free_threaded"])
        _run([path, "-m", "venv", str(target)])
    _run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "-e", str(ROOT)])
    return target


def _run(argv: list[str]) -> None:
    print("+ " + " ".join(argv), file=sys.stderr)
    if subprocess.run(argv).returncode != 0:
        raise BenchError(f"failed: {' '.join(argv)}")


def main(argv: Sequence[str]) -> int:
    """python -m bench.execute.pythons setup 3.12 [PATH ...]"""
    if len(argv) < 2 or argv[0] != "setup":
        print("usage: python -m bench.execute.pythons setup VERSION|PATH [...]", file=sys.stderr)
        return 2
    try:
        for item in argv[1:]:
            target = setup(item)
            print(f"ready: {target}/bin/python  (bench run --python {item})", file=sys.stderr)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
