"""Figure: can a rotation of a post-LayerNorm model's residual stream be folded away? Test every LayerNorm
of MiniLM-L6 on its real inputs: does it commute with a rotation of the stream?

Verdicts (declared in figures/minilm.yml):
- `learned-ln-blocks-rotation`: the smallest, over the 13 LayerNorms, of the median relative error
  ‖LN(xR) − LN(x)R‖ / ‖LN(x)R‖ with the learned gain and bias, for random rotations R fixing all-ones;
  interval: bootstrap over sentences, each resample with one of the random rotations.
- `bare-ln-commutes`: the fraction of (LayerNorm, rotation) pairs whose error with gain and bias removed
  lies under the float32 threshold t = 4·d·u (derived in scripts/analysis/privileged.py, stated before
  measuring). A count, exact. The errors themselves are rounding noise and differ between machines, so
  they are published only as "below" a fixed power of ten.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from scripts.analysis.privileged import (
    commutation_estimate,
    commutator_errors,
    float32_commutator_bound,
    float_count_estimate,
    layer_norm_inputs,
)
from scripts.analysis.rotations import random_orthogonal, random_orthogonal_fixing_ones
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.corpus import english_sentences
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    sd = model.state_dict()
    eps = float(model.cfg.eps)
    inputs, sentence = layer_norm_inputs(model, english_sentences(params["sentences"]))
    g = torch.Generator().manual_seed(params["seed"])
    d = model.cfg.d_model
    t = float32_commutator_bound(d)
    K = params["rotations"]
    learned = np.zeros((K, len(inputs), len(sentence)))  # per rotation, LayerNorm, token
    pure = np.zeros((K, len(inputs)))
    generic = np.zeros((K, len(inputs)))
    with torch.no_grad():
        for r in range(K):
            r_fix, r_gen = random_orthogonal_fixing_ones(d, g), random_orthogonal(d, g)
            for i, (name, x) in enumerate(inputs.items()):
                gamma, beta = sd[f"{name}.weight"], sd[f"{name}.bias"]
                learned[r, i] = commutator_errors(x, r_fix, gamma, beta, eps).numpy()
                pure[r, i] = commutator_errors(x, r_fix, None, None, eps).median().item()
                generic[r, i] = commutator_errors(x, r_gen, None, None, eps).median().item()
    learned_est, med = commutation_estimate(learned, sentence, resamples=params["resamples"], seed=params["seed"])
    pure_est = float_count_estimate(pure, t)
    gains = [sd[f"{n}.weight"] for n in inputs]
    rows = [{"ln": n, "learned": float(np.median(med[:, i])), "pure": float(pure[:, i].max()),
             "pure_generic": float(np.median(generic[:, i]))} for i, n in enumerate(inputs)]
    return Result(
        data={"rows": rows, "threshold": t},
        values={"n_ln": len(rows), "rotations": K, "sentences": params["sentences"],
                "learned_min": f"{med.min(1).min():.2f}", "learned_max": f"{med.max():.1f}",
                "threshold": f"{t:.1e}", "pure_below": f"1e{math.ceil(math.log10(pure.max()))}",
                "pure_pairs": pure.size,
                "generic_min": f"{np.median(generic.min(1)):.2f}",
                "gain_spread": f"{np.median([(gm.std() / gm.mean().abs()).item() for gm in gains]):.2f}"},
        verdicts={"learned-ln-blocks-rotation": learned_est, "bare-ln-commutes": pure_est},
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, ax = style.subplots(theme, width=1.0, height=3.6)
    x = np.arange(len(rows))
    pal = style.palette(theme)
    series = (("learned", "o-", "learned LayerNorm,\nrotation fixing all-ones"),
              ("pure_generic", "s-", "gain and bias removed,\ngeneric rotation"),
              ("pure", "^-", "gain and bias removed,\nrotation fixing all-ones\n(largest)"))
    names = [r["ln"].replace("blocks.", "") for r in rows]
    for k, (key, fmt, label) in enumerate(series):
        ys = [max(r[key], 1e-9) for r in rows]
        ax.plot(x, ys, fmt, markersize=4, color=pal[k], label=label)
        style.hover_points(ax, x, ys, [f"{n}, {label.replace(chr(10), ' ')}: {r[key]:.3g}" for n, r in zip(names, rows)])
    ax.set_xticks(x, names, rotation=90 if style.phone() else 60, ha="right", rotation_mode="anchor")
    ax.axhline(result.data["threshold"], color=style.MUTED[theme], linestyle=":", linewidth=1)
    ax.annotate("float32 threshold 4·d·u", (0, result.data["threshold"]), xytext=(0, 3), textcoords="offset points",
                ha="left", va="bottom", fontsize=style.FONT["small"], color=style.MUTED[theme])
    ax.set(yscale="log", ylabel="‖LN(xR) − LN(x)R‖ / ‖LN(x)R‖\n(median)", xlabel="LayerNorm",
           xlim=(-0.5, len(rows) + 3.2))
    ax.set_yticks([1e-8, 1e-6, 1e-4, 1e-2, 1], ["10⁻⁸", "10⁻⁶", "10⁻⁴", "0.01", "1"])
    style.label_lines(ax, theme)
    return fig
