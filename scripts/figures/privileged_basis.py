"""Figure: is the trained residual stream's standard basis special? Kurtosis of its coordinates in the
standard basis against the same activations seen in many random orthonormal bases.

Verdicts (declared in figures/residual-stream.yml): for each AdamW-trained model (1 and 2 layers, every
training seed), the largest z-score over its stream points of the standard basis's largest kurtosis against
the random bases (`scripts.analysis.basis.largest_outlier_z`, Bonferroni over the model's points); and,
separately, the same statistic for the SGD-trained control.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.basis import kurtosis_null, largest_outlier_z
from scripts.analysis.channel import stream_points
from scripts.analysis.induction import per_token_loss
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants


def compute(params: dict) -> Result:
    rng = np.random.default_rng(params["seed"])
    tokens, rows, kurt, losses, outlier = None, [], {}, {}, {}
    sgd = params["sgd"]
    names = [params["zero"]] + [n for base in params["adamw"] for n in seed_variants(base, params["seeds"][base])] + [sgd]
    for name in names:
        model = load_model(name)  # the real stream: LayerNorm gains not folded away
        tokens = held_out_text(model, params["batch"]) if tokens is None else tokens  # one tokenizer for the zoo
        s = stream_points(model, tokens)
        points = {label: s[p][:, 1:].reshape(-1, model.cfg.d_model).numpy()  # BOS's position left out
                  for p, label in [("embed", "embed")] + [(f"L{l}", f"after L{l}") for l in range(model.cfg.n_layers)]}
        kurt[name] = {p: kurtosis_null(a, params["rotations"], rng) for p, a in points.items()}
        if name in (params["adamw"][-1], sgd):  # loss, and the heaviest coordinate after layer 0 with layer 1's gain on it
            losses[name] = per_token_loss(model, tokens).mean().item()
            coord = int(kurt[name]["after L0"][0].argmax())
            outlier[name] = (coord, model.state_dict()["blocks.1.ln1.weight"][coord].item())
        if "-seed" not in name:  # the figure shows one model per recipe
            for point, (standard, rotated) in kurt[name].items():
                rows.append({"model": name, "point": point,
                             "mean": float(standard.mean()), "mean_rotated": rotated.mean(1).tolist(),
                             "max": float(standard.max()), "max_rotated": rotated.max(1).tolist()})
    best = {name: largest_outlier_z(kurt[name]) for name in names}
    adam_rows = [r for r in rows if r["model"] != sgd]
    above = [r for r in adam_rows if r["max"] > max(r["max_rotated"])]
    adam2 = params["adamw"][-1]
    verdicts = {f"adamw-outlier-{base.rsplit('-', 1)[1]}": {seed_label(n): best[n][1]
                                                             for n in seed_variants(base, params["seeds"][base])}
                for base in params["adamw"]}
    verdicts["sgd-control"] = best[sgd][1]
    values = {
        "rotations": params["rotations"], "positions": f"{len(tokens) * (tokens.shape[1] - 1):,}",
        "n_adam_points": len(adam_rows), "n_adam_above": len(above),
        "adam_above_points": ", ".join(f"{r['model'].removeprefix('attn-only-')} {r['point']}" for r in above),
        "n_adam_mean_higher": sum(r["mean"] > max(r["mean_rotated"]) for r in adam_rows),
        **{f"best_point_{n.removeprefix('attn-only-')}": best[n][0] for n in names},
        "adam_coord": outlier[adam2][0], "adam_gain": f"{outlier[adam2][1]:.2f}",
        "sgd_coord": outlier[sgd][0], "sgd_gain": f"{outlier[sgd][1]:.2f}",
        "sgd_embed_max": f"{kurt[sgd]['embed'][0].max():.0f}", "sgd_embed_rot_max": f"{kurt[sgd]['embed'][1].max():.0f}",
        "adam_loss": f"{losses[adam2]:.2f}", "sgd_loss": f"{losses[sgd]:.2f}",
    }
    return Result(data={"rows": rows, "sgd": sgd}, values=values, verdicts=verdicts)


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, axes = style.subplots(theme, 2, 1, width=1.0, height=4.6, sharex=True)
    x = np.arange(len(rows))
    grey = style.MUTED[theme]
    sgd = [i for i, r in enumerate(rows) if r["model"] == result.data["sgd"]]
    for ax, key, label in ((axes[0], "mean", "mean kurtosis\nover coordinates"),
                           (axes[1], "max", "largest kurtosis\nof any coordinate")):
        ax.boxplot([r[f"{key}_rotated"] for r in rows], positions=x, widths=0.5, whis=(0, 100),
                   medianprops={"color": grey}, boxprops={"color": grey}, whiskerprops={"color": grey},
                   capprops={"color": grey})
        for i, r in enumerate(rows):
            ax.plot(i, r[key], "s" if i in sgd else "D", color=style.color_for(r["model"]), zorder=3)
        ax.axhline(3, color=grey, linestyle=":", linewidth=1)
        if sgd:
            ax.axvspan(min(sgd) - 0.5, max(sgd) + 0.5, color=grey, alpha=0.12, linewidth=0)
        ax.set(ylabel=label, yscale="log")
        lo, hi = ax.get_ylim()
        ax.set_yticks([t for t in (2, 3, 4, 5, 7, 10, 20, 30, 50, 100) if lo <= t <= hi])
        style.plain_log_ticks(ax, "y")
        ax.grid(axis="x", visible=False)
        style.hover_points(ax, x, [r[key] for r in rows], [
            f"{r['model']}, {r['point']}: standard basis {r[key]:.2f}; random bases "
            f"{min(r[key + '_rotated']):.2f}–{max(r[key + '_rotated']):.2f}" for r in rows])
    axes[1].set_xticks(x, [r["point"] for r in rows], rotation=90 if style.phone() else 0)
    axes[0].set_title("◆ standard basis   ▯ 50 random orthonormal bases (range)" + ("\n" if style.phone() else "   ") +
                      "··· 3, a Gaussian's",
                      loc="left", fontsize=style.FONT["small"], pad=22)
    # each model named once over its points, in its colour
    models = list(dict.fromkeys(r["model"] for r in rows))
    for m in models:
        idx = [i for i, r in enumerate(rows) if r["model"] == m]
        name = m.removeprefix("attn-only-").replace("l", "-layer").replace("-sgd", ", SGD")
        axes[0].annotate(name, ((min(idx) + max(idx)) / 2, 1), xycoords=("data", "axes fraction"), xytext=(0, 3),
                         textcoords="offset points", ha="center", va="bottom", fontsize=style.FONT["small"],
                         color=style.text_color(style.color_for(m), theme))
    return fig
