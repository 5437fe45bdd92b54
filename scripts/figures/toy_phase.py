"""Figure: the phase diagram of two features in one dimension — which feature a model keeps, or whether it
stores both in superposition — over the second feature's relative importance and the features' sparsity:
the phases the loss itself predicts beside the phases of trained models.

Reads the `phase` sweep of the toy-models artifact (8 x 8 grid, five seeds per cell). The prediction,
`theory_phase`, is the global minimum of the exact expected loss, searched from each phase's ideal solution.
Verdict (figures/toy-models.yml) `phase-matches-theory`: per seed, the fraction of the 64 cells where the
trained model is in the predicted phase; decided over the five seeds.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import PHASES, phase_agreement, phase_of, stays_in_phase, theory_phase
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, load_sweep


def compute(params: dict) -> Result:
    sw = load_sweep("phase")
    rs, ps = axis(sw, "r"), axis(sw, "p", descending=True)
    seeds = [int(s) for s in axis(sw, "seed")]
    predicted = {(r, p): theory_phase(r, p) for r in rs for p in ps}  # (phase, params, expected loss)
    theory = np.array([[predicted[r, p][0] for p in ps] for r in rs])
    phase = phase_of(sw["W"]).numpy()
    trained = np.full((len(seeds), len(rs), len(ps)), -1)
    for k in range(len(phase)):
        i = rs.index(round(float(sw["r"][k]), 6))
        j = ps.index(round(float(sw["p"][k]), 6))
        trained[seeds.index(int(sw["seed"][k])), i, j] = phase[k]
    # a trained model in the wrong phase: does it sit in a local minimum of its own phase, or was it still moving?
    off = [k for k in range(len(phase)) if phase[k] != theory[rs.index(round(float(sw["r"][k]), 6)),
                                                               ps.index(round(float(sw["p"][k]), 6))]]
    stuck = sum(stays_in_phase((*sw["W"][k, 0].tolist(), *sw["b"][k].tolist()), round(float(sw["r"][k]), 6),
                               round(float(sw["p"][k]), 6)) for k in off)
    off_cells = {(round(float(sw["r"][k]), 6), round(float(sw["p"][k]), 6)) for k in off}
    agree = phase_agreement(torch.as_tensor(trained), torch.as_tensor(theory)).numpy()
    cells_agree = (trained == theory).mean(0)
    return Result(
        data={"rs": rs, "ps": ps, "theory": theory, "trained": trained, "cells_agree": cells_agree},
        values={"cells": theory.size, "seeds": len(seeds), "agree_min": f"{agree.min():.2f}",
                "agree_max": f"{agree.max():.2f}",
                "disagree_cells": int((cells_agree < 0.5).sum()), "off_phase": len(off),
                "off_phase_stuck": stuck, "off_phase_moving": len(off) - stuck, "off_cells": len(off_cells),
                "disagree_near_one": int(sum(cells_agree[i, j] < 0.5 for i, r in enumerate(rs) for j in range(len(ps))
                                             if 0.5 < r < 2)),
                "superposition_cells": int((theory == PHASES.index("superposition")).sum())},
        verdicts={"phase-matches-theory": {f"seed {s}": exact(float(a), n=theory.size, unit="grid cells")
                                           for s, a in zip(seeds, agree)}},
    )


def plot(result: Result, theme: str):
    d = result.data
    rs, ps = d["rs"], d["ps"]
    colors = [style.palette(theme)[0], style.palette(theme)[1], style.palette(theme)[2], style.MUTED[theme]]
    cmap = ListedColormap(colors)
    majority = np.apply_along_axis(lambda v: np.bincount(v, minlength=4).argmax(), 0, d["trained"])
    fig, axes = style.subplots(theme, 1, 3, width=1.0, aspect=0.42, sharey=True)
    panels = [(d["theory"], "predicted by the loss"), (majority, "trained (most seeds)"),
              (d["cells_agree"], "seeds in the predicted phase")]
    for ax, (grid, title) in zip(axes, panels):
        if title.startswith("seeds"):
            im = ax.imshow(grid, origin="lower", cmap=style.CMAP["sequential"], vmin=0, vmax=1, aspect="auto")
            for (i, j), v in np.ndenumerate(grid):
                if v < 1:
                    ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=style.FONT["small"],
                            color="white" if v < 0.6 else "black")
        else:
            ax.imshow(grid, origin="lower", cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto")
        ax.set_title(title, fontsize=style.FONT["small"])
        ax.set_xticks(range(0, len(ps), 2), [f"{p:g}" for p in ps[::2]])
        ax.set_xlabel("feature probability")
        ax.grid(False)
    axes[0].set_yticks(range(0, len(rs), 2), [f"{r:.2g}" for r in rs[::2]])
    axes[0].set_ylabel("importance of feature 2\n(feature 1: 1)")
    cb = fig.colorbar(im, ax=axes[2], shrink=0.9)
    cb.ax.tick_params(labelsize=style.FONT["small"])
    handles = [Patch(color=c, label=name) for c, name in zip(colors, PHASES)]
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if style.phone() else 4, fontsize=style.FONT["small"],
               frameon=False)
    for ax, grid in zip(axes[:2], (d["theory"], majority)):
        style.hover_grid(ax, grid, [f"r = {r:.2g}" for r in rs], [f"p = {p:g}" for p in ps],
                         fmt="{:.0f}", template="{row}, {col}: phase {v} (0 feature 1 only, 1 feature 2 only, "
                                               "2 superposition, 3 neither)")
    return fig
