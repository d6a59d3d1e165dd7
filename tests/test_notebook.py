"""docs/quickstart.ipynb runs top to bottom in a real Jupyter kernel (nbclient + ipykernel), as a reader's would."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tests.helpers import ROOT


def test_the_quick_start_notebook_runs_in_a_jupyter_kernel() -> None:
    notebook = nbformat.read(ROOT / "docs" / "quickstart.ipynb", as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "saved without outputs"
    # a failing cell raises CellExecutionError with the cell and its traceback
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    shown = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "5 design points x 4 replicates = 20 runs" in shown
    assert "Collective-leadership index" in shown and "practising_share" in shown
    assert "tipped" in shown and "rises" in shown
