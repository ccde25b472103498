"""The example notebook runs end to end, headless, in a real ipykernel (as a user's Jupyter would)."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


def _outputs(cell) -> str:
    """Everything a cell showed, as text (stream text, plain and HTML displays)."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent.parent)}})
    client.execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_no_cell_raised(executed):
    errors = [o for cell in executed for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors


def test_results_show_the_verdict_and_the_speedup_plot_inline(executed):
    shown = _outputs(executed[1])
    assert "<h4>Verdict</h4>" in shown and "data:image/svg+xml;base64," in shown
    assert "collatz_steps" in shown


def test_table_verdict_save_load_compare(executed):
    table, verdict, saved = (_outputs(cell) for cell in executed[2:5])
    assert "pool-map" in table and "threads" in table
    # a shared machine can make every case disturbed: then the honest verdict is "Not decided: machine busy"
    assert any(word in verdict for word in ("Use ", "Stay serial", "No clear gain", "Not decided: machine busy"))
    assert "cases: 6 gate failed: False report bytes: True" in saved


def test_an_unsendable_task_is_one_line(executed):
    text = _outputs(executed[5]).strip()
    assert text.startswith("BenchError: cannot send the task to") and "define it at module level" in text
    assert "\n" not in text
