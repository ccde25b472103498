"""What a candidate interpreter for `bench run --python` is, and whether it can run cases.

Not imported by the harness: bench.execute.pythons runs this file's source with
``PYTHON -c SOURCE [STRATEGY ...]`` (so the current directory is on sys.path
exactly as for ``python -m bench.entrypoints.case_process``) and reads one JSON line.
Plain old syntax on purpose: it must report the version of any Python,
even one too old to run the project, instead of dying on a SyntaxError.
"""
import json
import platform
import sys
import sysconfig


def _gil_enabled():
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def _project(info, strategies):
    """Import what every case imports; then ask each strategy whether it can run here."""
    try:
        from importlib import metadata

        import numpy  # noqa: F401  # imported only to prove that it imports here
        import psutil  # noqa: F401  # (the same)
        import pyperf  # noqa: F401  # (the same)

        import bench
        import bench.entrypoints.case_process  # noqa: F401  # (the same)
        from bench import registry
        metadata.version("scaling-bench")
    except Exception as exc:  # anything missing means "not set up for this project"
        info["missing"] = "%s: %s" % (type(exc).__name__, exc)
        return
    from bench.model import BenchError
    info["bench_file"] = bench.__file__
    for name in strategies:
        try:
            info["unavailable"][name] = registry.get_strategy(name).unavailable_reason()
        except BenchError:  # a plugin from --strategy-module: the case process imports it
            continue
        except Exception as exc:
            info["unavailable"][name] = "cannot load: %s: %s" % (type(exc).__name__, exc)


def main(strategies):
    info = {"executable": sys.executable, "version": platform.python_version(),
            "version_info": list(sys.version_info[:2]),
            "implementation": platform.python_implementation(),
            "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            "missing": None, "bench_file": None, "unavailable": {}}
    if tuple(sys.version_info[:2]) >= (3, 11):
        _project(info, strategies)
    info["gil_enabled"] = _gil_enabled()  # after the imports, which may re-enable it
    sys.stdout.write(json.dumps(info) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
