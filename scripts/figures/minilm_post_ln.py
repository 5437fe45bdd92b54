"""Figure: can a rotation of a post-LayerNorm model's residual stream be folded away? Test every LayerNorm
of MiniLM-L6 on its real inputs: does it commute with a rotation of the stream?"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.residual import random_orthogonal, random_orthogonal_fixing_ones, rotation_commutator
from scripts.engine.api import Result
from scripts.zoo.corpus import english_sentences
from scripts.zoo.load import load_model


def layer_norm_inputs(model, sentences: list[str]) -> dict[str, torch.Tensor]:
    """Every LayerNorm's input over all tokens of the sentences."""
    lns = ["embed_ln"] + [f"blocks.{l}.{n}" for l in range(model.cfg.n_layers) for n in ("ln1", "ln2")]
    acts = {n: [] for n in lns}
    with torch.no_grad():
        for s in sentences:
            _, cache = model.run_with_cache(model.to_tokens(s), names_filter=lambda n: n.endswith(".hook_in"))
            for n in lns:
                acts[n].append(cache[f"{n}.hook_in"][0])
    return {n: torch.cat(v) for n, v in acts.items()}


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    sd = model.state_dict()
    eps = float(model.cfg.eps)
    inputs = layer_norm_inputs(model, english_sentences(params["sentences"]))
    g = torch.Generator().manual_seed(params["seed"])
    d = model.cfg.d_model
    r_fix, r_gen = random_orthogonal_fixing_ones(d, g), random_orthogonal(d, g)
    rows = []
    with torch.no_grad():
        for name, x in inputs.items():
            gamma, beta = sd[f"{name}.weight"], sd[f"{name}.bias"]
            rows.append({"ln": name,
                         "learned": rotation_commutator(x, r_fix, gamma, beta, eps),
                         "pure": rotation_commutator(x, r_fix, None, None, eps),
                         "pure_generic": rotation_commutator(x, r_gen, None, None, eps),
                         "gain_spread": (gamma.std() / gamma.mean().abs()).item()})
    learned = [r["learned"] for r in rows]
    return Result(
        data={"rows": rows},
        values={"n_ln": len(rows), "learned_min": f"{min(learned):.2f}", "learned_max": f"{max(learned):.2f}",
                "pure_max": f"{max(r['pure'] for r in rows):.0e}",
                "generic_min": f"{min(r['pure_generic'] for r in rows):.2f}",
                "gain_spread": f"{np.median([r['gain_spread'] for r in rows]):.2f}",
                "verdict": ("the rotation cannot be folded away: the learned gain acts on the stream itself"
                            if min(learned) > 0.05 else "the rotation folds away")},
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, ax = plt.subplots(figsize=(7.4, 3.4))
    x = np.arange(len(rows))
    ax.plot(x, [max(r["learned"], 1e-9) for r in rows], "o-", label="learned LayerNorm, rotation fixing all-ones")
    ax.plot(x, [max(r["pure_generic"], 1e-9) for r in rows], "s-", label="gain and bias removed, generic rotation")
    ax.plot(x, [max(r["pure"], 1e-9) for r in rows], "^-", label="gain and bias removed, rotation fixing all-ones")
    ax.set_xticks(x, [r["ln"].replace("blocks.", "") for r in rows], rotation=60, fontsize=7)
    ax.set(yscale="log", ylabel="‖LN(xR) − LN(x)R‖ / ‖LN(x)‖ (median)", xlabel="LayerNorm")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
