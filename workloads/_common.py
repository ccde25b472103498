"""Small helpers shared by the built-in workloads."""
from __future__ import annotations

from bench.model import Param, Params, ParamValue


def resolve(spec: tuple[Param, ...], params: Params) -> dict[str, ParamValue]:
    """Return every parameter of ``spec``, filling missing ones with quick defaults.

    The runner normally passes a complete mapping; filling gaps here keeps
    tests and ad-hoc calls (``make_tasks({"n": 3})``) short.
    """
    # kind() also turns an int given for a float parameter into a float.
    return {p.name: p.kind(params.get(p.name, p.quick)) for p in spec}
