"""Figure: is the trained residual stream's standard basis special? Kurtosis of its coordinates in the
standard basis against the same activations seen in many random orthonormal bases."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.induction import per_token_loss
from scripts.analysis.residual import kurtosis, random_orthogonal
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def stream_points(model, tokens) -> dict[str, torch.Tensor]:
    """The residual stream after the embeddings and after each layer, as [samples, d_model]."""
    names = ["hook_embed"] + [f"blocks.{l}.hook_resid_post" for l in range(model.cfg.n_layers)]
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in names or n == "hook_pos_embed")
    out = {"embed": (cache["hook_embed"] + cache["hook_pos_embed"])[:, 1:].reshape(-1, model.cfg.d_model)}
    for layer in range(model.cfg.n_layers):
        out[f"after L{layer}"] = cache[f"blocks.{layer}.hook_resid_post"][:, 1:].reshape(-1, model.cfg.d_model)
    return out


def compute(params: dict) -> Result:
    g = torch.Generator().manual_seed(params["seed"])
    rows, losses, outlier = [], {}, {}
    for name in params["models"]:
        model = load_model(name)  # the real stream: LayerNorm gains not folded away
        tokens = held_out_text(model, params["batch"])
        points = stream_points(model, tokens)
        if name in params["compare"]:  # loss, and the heaviest coordinate after layer 0 with layer 1's gain on it
            losses[name] = per_token_loss(model, tokens).mean().item()
            coord = int(kurtosis(points["after L0"]).argmax())
            outlier[name] = (coord, model.state_dict()["blocks.1.ln1.weight"][coord].item())
        for point, acts in points.items():
            standard = kurtosis(acts)
            rotated = [kurtosis(acts @ random_orthogonal(acts.shape[1], g)) for _ in range(params["rotations"])]
            rows.append({"model": name, "point": point,
                         "mean": standard.mean().item(), "mean_rotated": [k.mean().item() for k in rotated],
                         "max": standard.max().item(), "max_rotated": [k.max().item() for k in rotated]})
    outliers = [r for r in rows if r["max"] > max(r["max_rotated"])]
    # The Adam hypothesis: the same model trained with SGD (rotation-equivariant) should lack outliers.
    excess = {name: max(r["max"] / max(r["max_rotated"]) for r in rows if r["model"] == name)
              for name in params["compare"]}
    adam, sgd = params["compare"]
    best = max(rows, key=lambda r: r["max"] / max(r["max_rotated"]))
    values = {
        "rotations": params["rotations"], "n_points": len(rows), "n_outlier_points": len(outliers),
        "best_point": f"{best['model']}, {best['point']}", "best_max": f"{best['max']:.1f}",
        "best_rot_max": f"{max(best['max_rotated']):.1f}",
        "n_mean_higher": sum(r["mean"] > max(r["mean_rotated"]) for r in rows),
        "verdict": (f"a privileged basis, weakly: outlier coordinates at {len(outliers)} of {len(rows)} points"
                    if outliers else "no privileged basis at this scale"),
        "adam_excess": f"{excess[adam]:.2f}", "sgd_excess": f"{excess[sgd]:.2f}",
        "adam_loss": f"{losses[adam]:.2f}", "sgd_loss": f"{losses[sgd]:.2f}",
        "adam_coord": outlier[adam][0], "adam_gain": f"{outlier[adam][1]:.2f}",
        "sgd_coord": outlier[sgd][0], "sgd_gain": f"{outlier[sgd][1]:.2f}",
        "sgd_verdict": ("consistent with the Adam hypothesis: the SGD model has no outlier coordinate"
                        if excess[sgd] <= 1.0 < excess[adam] else
                        "not what the Adam hypothesis predicts" if excess[sgd] > 1.0 else "inconclusive"),
    }
    return Result(data={"rows": rows}, values=values)


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), sharex=True)
    x = np.arange(len(rows))
    grey = "0.55"
    for ax, key, label in ((axes[0], "mean", "mean kurtosis over coordinates"),
                           (axes[1], "max", "largest kurtosis of any coordinate")):
        ax.boxplot([r[f"{key}_rotated"] for r in rows], positions=x, widths=0.5, whis=(0, 100),
                   medianprops={"color": "C1"}, boxprops={"color": grey}, whiskerprops={"color": grey},
                   capprops={"color": grey})
        ax.plot(x, [r[key] for r in rows], "D", color="C0", label="standard basis", zorder=3)
        ax.plot([], [], color=grey, label="random orthonormal bases (range)")
        ax.axhline(3, color=grey, linestyle=":", linewidth=1)
        ax.set_xticks(x, [f"{r['model'].removeprefix('attn-only-')}\n{r['point']}" for r in rows], fontsize=7)
        ax.set(ylabel=label, yscale="log")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
