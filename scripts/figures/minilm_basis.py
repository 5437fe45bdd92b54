"""Figure: MiniLM-L6 (pretrained at scale with Adam) — kurtosis of its residual stream per layer in the
standard basis vs. random orthonormal bases, the test of a privileged basis on a real model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.residual import kurtosis, random_orthogonal
from scripts.engine.api import Result
from scripts.zoo.corpus import english_sentences
from scripts.zoo.load import load_model


def stream_by_layer(model, sentences: list[str]) -> dict[str, torch.Tensor]:
    """The post-LayerNorm residual stream entering each layer and leaving the last, over all tokens."""
    names = [f"blocks.{l}.hook_resid_pre" for l in range(model.cfg.n_layers)] + [f"blocks.{model.cfg.n_layers - 1}.hook_resid_post"]
    acts = {n: [] for n in names}
    with torch.no_grad():
        for s in sentences:
            _, cache = model.run_with_cache(model.to_tokens(s), names_filter=lambda n: n in names)
            for n in names:
                acts[n].append(cache[n][0])
    labels = [f"in L{l}" for l in range(model.cfg.n_layers)] + ["output"]
    return {lab: torch.cat(acts[n]) for lab, n in zip(labels, names)}


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    points = stream_by_layer(model, english_sentences(params["sentences"]))
    g = torch.Generator().manual_seed(params["seed"])
    rows = []
    for label, acts in points.items():
        live = acts.var(0) > 1e-10  # a constant coordinate has no kurtosis
        acts = acts[:, live]
        k = kurtosis(acts)
        rot = [kurtosis(acts @ random_orthogonal(acts.shape[1], g)).max().item() for _ in range(params["rotations"])]
        top = torch.topk(k, 3)
        index = live.nonzero().flatten()  # back to the model's coordinate numbers
        rows.append({"point": label, "max": k.max().item(), "median": k.median().item(), "rot": rot,
                     "top": [(int(index[i]), float(v)) for v, i in zip(top.values, top.indices)],
                     "dead": int((~live).sum())})
    worst = max(rows, key=lambda r: r["max"] / max(r["rot"]))
    tops = [r["top"][0][0] for r in rows if r["max"] > max(r["rot"])]
    persistent = max(set(tops), key=tops.count) if tops else None
    return Result(
        data={"rows": rows},
        values={"n_tokens": len(next(iter(points.values()))), "sentences": params["sentences"],
                "rotations": params["rotations"], "worst_point": worst["point"], "worst_max": f"{worst['max']:.0f}",
                "worst_rot": f"{max(worst['rot']):.1f}", "persistent_dim": persistent if persistent is not None else "none",
                "persistent_points": tops.count(persistent) if tops else 0,
                "n_outlier_points": len(tops), "n_points": len(rows), "dead_output": rows[-1]["dead"],
                "verdict": (f"a privileged basis: coordinate {persistent} is an outlier at {tops.count(persistent)} of {len(rows)} points"
                            if tops and tops.count(persistent) > len(rows) / 2 else "no persistent outlier coordinate")},
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    x = np.arange(len(rows))
    grey = "0.55"
    ax.boxplot([r["rot"] for r in rows], positions=x, widths=0.5, whis=(0, 100), medianprops={"color": "C1"},
               boxprops={"color": grey}, whiskerprops={"color": grey}, capprops={"color": grey})
    ax.plot(x, [r["max"] for r in rows], "D", color="C0", label="standard basis: largest coordinate kurtosis")
    ax.plot(x, [r["median"] for r in rows], "s", color="C2", label="standard basis: median coordinate")
    ax.plot([], [], color=grey, label="random bases: largest (range of 20)")
    ax.axhline(3, color=grey, linestyle=":", linewidth=1)
    ax.set_xticks(x, [r["point"] for r in rows])
    ax.set(yscale="log", ylabel="kurtosis", xlabel="point in MiniLM-L6's residual stream")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
