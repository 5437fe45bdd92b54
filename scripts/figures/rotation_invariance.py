"""Figure: fold a change of basis into every read and write of the residual stream — what changes?

Verdicts (declared in figures/residual-stream.yml), each against T, the float32 threshold derived from this
model's own magnitudes before anything is rotated (`scripts.analysis.basis.float32_threshold`):
- rotations that nothing can see (one fixing all-ones; a generic one once centring is dropped): the largest
  change of any logit, in units of T, as a bound on a power-of-ten grid (float noise cannot move it);
- rotations that something sees (centring with a generic rotation; a GELU on the stream): the median change,
  in units of T, bootstrapped over the held-out windows.
The claim is about the architecture's algebra, not about a training run, so one trained model suffices.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.basis import float32_threshold, invariance_bound, median_change
from scripts.analysis.residual import forward, rotate, weights_of
from scripts.analysis.rotations import random_orthogonal, random_orthogonal_fixing_ones
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model

CASES = {
    "fixes all-ones": "rotation fixing the all-ones direction",
    "generic": "generic rotation (LayerNorm centring sees it)",
    "generic, no centring": "generic rotation, centring dropped (writes are mean-zero)",
    "GELU on the stream": "rotation fixing all-ones, GELU applied to the stream",
}


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    w = weights_of(model)
    tokens = held_out_text(model, params["batch"])
    g = torch.Generator().manual_seed(params["seed"])
    gelu = torch.nn.functional.gelu
    changes = {k: [] for k in CASES}
    with torch.no_grad():
        threshold, sums = float32_threshold(w, tokens)  # fixed before any rotation is applied
        base = forward(w, tokens)
        base_gelu = forward(w, tokens, stream_fn=gelu)
        for _ in range(params["rotations"]):
            r1 = random_orthogonal_fixing_ones(w.W_E.shape[1], g)
            r2 = random_orthogonal(w.W_E.shape[1], g)
            changes["fixes all-ones"].append(forward(rotate(w, r1), tokens) - base)
            changes["generic"].append(forward(rotate(w, r2), tokens) - base)
            changes["generic, no centring"].append(forward(rotate(w, r2), tokens, center=False) - base)
            changes["GELU on the stream"].append(forward(rotate(w, r1), tokens, stream_fn=gelu) - base_gelu)
    changes = {k: torch.stack(v).abs() for k, v in changes.items()}  # [rotations, batch, pos, vocab]
    verdicts = {
        "rotation-invariant": invariance_bound(changes["fixes all-ones"], threshold),
        "invariant-without-centring": invariance_bound(changes["generic, no centring"], threshold),
        "centring-sees-generic-rotation": median_change(changes["generic"], threshold),
        "elementwise-breaks-it": median_change(changes["GELU on the stream"], threshold),
    }
    scale = float(base.abs().mean())
    return Result(
        data={"changes": {k: v.flatten().numpy() for k, v in changes.items()}, "scale": scale, "threshold": threshold},
        values={
            "n_logits": changes["generic"].numel(),
            "rotations": params["rotations"],
            "threshold": tex_power(threshold), "sums": f"{sums:.0f}", "scale": f"{scale:.1f}",
            "fix1_bound": f"{verdicts['rotation-invariant'].value:g}",
            "nocenter_bound": f"{verdicts['invariant-without-centring'].value:g}",
            "median_generic": f"{np.median(changes['generic'].numpy()):.2f}",
            "median_gelu": f"{np.median(changes['GELU on the stream'].numpy()):.1f}",
        },
        verdicts=verdicts,
    )


def tex_power(x: float) -> str:
    """2.4e-3 as LaTeX, for $...$ in the page."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def plot(result: Result, theme: str):
    # small multiples: one case per row on a shared axis, each named in its colour (no legend on the data)
    fig, axes = style.subplots(theme, len(CASES), 1, width=1.0, height=5.2, sharex=True)
    bins = np.logspace(-9, 2, 67)
    pal = style.palette(theme)
    lines = ((result.data["threshold"], "float32 threshold T"), (result.data["scale"], "mean |logit|"))
    for k, (ax, (key, label)) in enumerate(zip(axes, CASES.items())):
        v = np.clip(result.data["changes"][key], 1e-9, None)
        ax.hist(v, bins=bins, histtype="stepfilled", linewidth=1.2, color=pal[k], alpha=0.85,
                weights=np.full(len(v), 1 / len(v)))
        ax.set_title(label, loc="left", color=style.text_color(pal[k], theme), fontsize=style.FONT["small"])
        ax.set(xscale="log", ylim=(0, 0.45), yticks=[0, 0.2, 0.4])
        ax.grid(axis="x", visible=False)
        for x, _ in lines:
            ax.axvline(x, color=style.MUTED[theme], linestyle=":", linewidth=1)
    for x, text in lines:  # name the reference lines once, in the top panel
        axes[0].annotate(text, (x, 0.45), xytext=(-3, -2), textcoords="offset points", ha="right", va="top",
                         fontsize=style.FONT["small"], color=style.MUTED[theme])
    axes[-1].set_xlabel("|change in a logit| after the change of basis")
    axes[len(axes) // 2].set_ylabel("fraction of logits", y=1.1)
    style.plain_log_ticks(axes[-1], "x", fmt="%g")
    axes[-1].set_xticks([1e-8, 1e-6, 1e-4, 1e-2, 1], ["10⁻⁸", "10⁻⁶", "10⁻⁴", "0.01", "1"])
    return fig
