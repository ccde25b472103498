"""What the machine and software were: collected once per run and per case."""
from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from bench.measure.threadlimits import RECORDED_VARS

#: libraries whose versions change the answer
TRACKED_PACKAGES = ("pyperf", "numpy", "Pillow", "pytesseract", "joblib", "loky", "dask",
                    "distributed", "pandas", "scipy", "matplotlib", "threadpoolctl", "mpire", "ray")



def gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def free_threaded_build() -> bool:
    """A build configured with --disable-gil (3.13t and later), whatever the GIL's state now."""
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def python_info() -> dict[str, Any]:
    return {
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "python_executable": sys.executable,
        "python_gil": "enabled" if gil_enabled() else "disabled",
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_versions() -> dict[str, str]:
    from importlib import metadata as importlib_metadata  # slow to import: not in every case process

    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[f"version_{name.lower()}"] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def tesseract_version() -> str:
    exe = shutil.which("tesseract")
    if not exe:
        return "not installed"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def machine_metadata() -> dict[str, Any]:
    """Collected in the parent once per run."""
    return {
        **python_info(),
        **package_versions(),
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count() or 1,
        "cpu_affinity": ",".join(str(c) for c in sorted(os.sched_getaffinity(0))),
        "default_start_method": multiprocessing.get_start_method(allow_none=True) or
        multiprocessing.get_context().get_start_method(),
        "tesseract": tesseract_version(),
        "load_avg_1min": round(load_average(), 2),
        "git_commit": git_commit(Path(__file__).resolve().parents[2]),
        "date": now_iso(),
    }


def case_metadata() -> dict[str, Any]:
    """Collected inside the case process, after pinning and after the case ran.

    After: a free-threaded build re-enables the GIL when an extension that is
    not marked safe is imported, so the state is read once every import is done.
    The interpreter is recorded per case because `bench run --python` may run
    cases under another one than the parent's.
    """
    return {
        "affinity": ",".join(str(c) for c in sorted(os.sched_getaffinity(0))),
        "load_avg_1min": round(load_average(), 2),
        "python_version": platform.python_version(),
        "python_executable": sys.executable,
        "python_free_threaded": free_threaded_build(),
        "python_gil": "enabled" if gil_enabled() else "disabled",
        **{f"env_{var}": os.environ.get(var, "") for var in RECORDED_VARS},
    }


def python_label(version: str, free_threaded: bool, gil_enabled: bool) -> str:
    """'3.12.1 (GIL enabled)', '3.13.0t (GIL disabled)': the table's python column."""
    return f"{version}{'t' if free_threaded else ''} (GIL {'enabled' if gil_enabled else 'disabled'})"


def label_from_metadata(metadata: Mapping[str, Any]) -> str:
    """The label from a case's metadata; '' when the case recorded no version (old or failed)."""
    version = metadata.get("python_version")
    if not version:
        return ""
    return python_label(str(version), bool(metadata.get("python_free_threaded")),
                        metadata.get("python_gil", "enabled") != "disabled")
