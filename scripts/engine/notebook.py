"""Executes one jupytext percent-format notebook (`docs/**/*.py`) into a `.ipynb` with its outputs.

Run by the warm worker in a forked child (or by hand: `python -m scripts.engine.notebook SPEC STAGING`), only when
the notebook
or a project module it imports changed; mkdocs-jupyter then renders the executed file with `execute: false`,
so pages never re-run on every build. A hidden first cell fixes the seeds and the plot style; it is removed
from the saved notebook, and no timings are recorded, so the same inputs give the same file.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys

from scripts.engine import paths, worker

# Plots are transparent PNGs with the light theme's ink and the site's colour cycle (Okabe–Ito); on the
# dark (slate) palette the page's CSS inverts their lightness (extra.css, "Notebook output"), so a plot is
# never a white box on a dark page. Kept literal (not imported from style.py): this file is what the
# notebook jobs' fingerprints hash.
_SETUP = """\
import random, numpy, matplotlib, cycler
random.seed(0); numpy.random.seed(0)
matplotlib.rcParams.update({
    "svg.hashsalt": "circuits-blog", "figure.dpi": 100,
    "figure.facecolor": (1, 1, 1, 0), "axes.facecolor": (1, 1, 1, 0), "savefig.facecolor": (1, 1, 1, 0),
    "savefig.transparent": True, "text.color": "#1f2328", "axes.labelcolor": "#1f2328",
    "axes.edgecolor": "#1f2328", "xtick.color": "#1f2328", "ytick.color": "#1f2328",
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
    "axes.prop_cycle": cycler.cycler(color=["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                                            "#D55E00", "#999999", "#F0E442"]),
})
"""


_ENGINE_LINE = re.compile(r"^(?:# )?engine-(?:inputs|timeout):")  # as declarations.py reads them

def run(spec: dict, staging: pathlib.Path, root: pathlib.Path | None = None) -> None:
    root = pathlib.Path.cwd() if root is None else root
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    # The engine runs jobs with MPLBACKEND=Agg; a notebook's kernel needs the inline backend to show plots.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    nb = jupytext.read(root / spec["script"], fmt="py:percent")
    nb.cells.insert(0, nbformat.v4.new_code_cell(_SETUP))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=1800, allow_errors=False, record_timing=False,
        resources={"metadata": {"path": str(root)}},
    )
    client.execute()
    nb.cells.pop(0)
    for cell in nb.cells:  # the engine's header lines (`# engine-inputs: ...`) are for the engine, not the reader
        cell.source = "\n".join(line for line in cell.source.split("\n") if not _ENGINE_LINE.match(line)).strip("\n")
    for i, cell in enumerate(nb.cells):  # jupytext draws random cell ids: number them instead
        cell.id = f"cell-{i}"
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = i + 1
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:  # how a kernel splits printed text into chunks depends on timing: join them
        cell_outputs = cell.get("outputs", [])
        merged = []
        for out in cell_outputs:
            if merged and out.get("output_type") == "stream" and merged[-1].get("output_type") == "stream" \
                    and merged[-1].get("name") == out.get("name"):
                merged[-1]["text"] = merged[-1]["text"] + out["text"]
            else:
                merged.append(out)
        if cell_outputs:
            cell["outputs"] = merged
    (staging / "notebooks").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, staging / "notebooks" / paths.notebook_name(spec["id"]))


if __name__ == "__main__":
    sys.exit(worker.main(run, sys.argv[1:]))
