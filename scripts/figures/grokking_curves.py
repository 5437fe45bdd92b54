"""Figure: train and test loss of the grokking model over training, three seeds, with the phases marked
where the logged measures put them (scripts/analysis/grokking.py), not by eye.

Verdicts (figures/grokking.yml): the model groks within the epoch budget fixed before the first run (test
accuracy at that epoch), and it generalises long after it memorises (ratio of the two epochs, bounded by the
log interval), on each seed.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.grokking import accuracy_within_budget, phase_spans, phases, timing_estimates
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.engine.drawing import decades
from scripts.grokking.load import load


def compute(params: dict) -> Result:
    runs, rows, groks, delayed = {}, [], {}, {}
    for seed in params["seeds"]:
        t = load(seed)
        log, ph = t.log, phases(t.log)
        step = log[1]["epoch"] - log[0]["epoch"]
        label = f"seed {seed}"
        runs[label] = {"epoch": np.array([r["epoch"] for r in log]), "train": np.array([r["train_loss"] for r in log]),
                       "test": np.array([r["test_loss"] for r in log]), "spans": phase_spans(ph)}
        groks[label] = accuracy_within_budget(log, params["budget"], n=len(t.split.test))
        delayed[label] = timing_estimates(log, t.split.p)["delayed"]
        if seed == params["seeds"][0]:
            peak = max(log, key=lambda r: r["test_loss"])
            first = {"test_loss_start": f"{log[0]['test_loss']:.2f}", "test_loss_peak": f"{peak['test_loss']:.0f}",
                     "test_loss_peak_epoch": f"{peak['epoch']:,}",
                     "test_acc_at_peak": f"{100 * peak['test_acc']:.1f} %",
                     "train_loss_at_peak": f"{peak['train_loss']:.0e}"}
        rows.append([label, f"{ph.memorised.epoch:,}", f"{ph.generalising.epoch:,}",
                     f"{ph.cleaned.epoch:,}" if ph.cleaned else "not reached", f"{log[-1]['epoch']:,}",
                     f"{100 * log[-1]['test_acc']:.2f} %"])
    return Result(
        data={"runs": runs},
        values={**first, "epochs_seed0": rows[0][4], "memorised_seed0": rows[0][1], "generalising_seed0": rows[0][2],
                "cleaned_seed0": rows[0][3], "log_every": int(step), "budget": int(params["budget"]),
                "budget_acc_by_seed": "; ".join(f"{k}: {100 * e.value:.1f} %" for k, e in groks.items()),
                "generalising_first": min(rows, key=lambda r: int(r[2].replace(",", "")))[2],
                "generalising_last": max(rows, key=lambda r: int(r[2].replace(",", "")))[2]},
        verdicts={"groks": groks, "delayed": delayed},
        tables={"phases": Table(columns=["seed", "memorised (train acc 100 %)", "generalising (test acc ≥ 50 %)",
                                         "cleaned up", "trained", "final test accuracy"], rows=rows)},
    )


def plot(result: Result, theme: str):
    runs = result.data["runs"]
    fig, axes = style.subplots(theme, 1, len(runs), width=1.0, aspect=0.42, sharey=True)
    shade = style.GRID[theme]
    for ax, (label, run) in zip(np.atleast_1d(axes), runs.items()):
        for i, (a, b) in enumerate(run["spans"]):
            if i == 1 and np.isfinite(b):
                ax.axvspan(a, b, color=shade, alpha=0.6, lw=0)
            if np.isfinite(a) and a > 0:
                ax.axvline(a, color=style.MUTED[theme], lw=0.8, ls=":")
        ax.plot(run["epoch"], run["train"], color=style.palette(theme)[0], lw=1.4, label="train")
        ax.plot(run["epoch"], run["test"], color=style.palette(theme)[1], lw=1.4, label="test")
        ax.set_yscale("log")
        decades(ax)
        ax.set_title(label, fontsize=style.FONT["text"])
        ax.set_xlabel("epoch (thousands)")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}")
        ax.set_xlim(0, run["epoch"][-1] * 1.3)
        style.label_lines(ax, theme)
    np.atleast_1d(axes)[0].set_ylabel("loss (nats)")
    return fig
