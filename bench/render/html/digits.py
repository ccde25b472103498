"""The page's one rule for printing a figure: fixed significant digits, trailing zeros kept."""
from __future__ import annotations


def significant(value: float, digits: int = 3) -> str:
    """'1.90', '0.0630', '905', '2,049': a column of speed-ups reads at a glance when each has
    the same number of digits ('2', '1', '0.97', '0.063' did not)."""
    value = float(value)
    if 10 ** digits <= abs(value) < 1e7:
        return f"{value:,.0f}"
    return f"{value:#.{digits}g}".rstrip(".")
