"""Figure: Q-, K- and V-composition between layer-0 and layer-1 heads of the 2-layer model, as z-scores against
a null that keeps both matrices' spectra (a random rotation between the layer-0 head's output and the layer-1
head's input); the K-composition into the induction head over training; and a key-path ablation.

Verdicts (declared in figures/circuits.yml), on every training seed, each a z-score with an interval at the
Bonferroni level over the 3 x 16 tests of a seed, against the critical value 3.08 (one-sided 5 %):
- `k-from-prev-head`: K-composition of the previous-token head into the induction head (both found per seed);
- `one-k-source`: the second-strongest layer-0 source of K-composition into the induction head (the paper:
  only one layer-0 head);
- `only-k`: the strongest Q- or V-composition of any pair (the paper: only K-composition is significant).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.circuit_evidence import critical_z, key_path_ablated_induction
from scripts.analysis.composition import MODES, composition_null, composition_pair, composition_z
from scripts.analysis.induction import induction_scores, previous_token_scores, repeated_random_tokens
from scripts.analysis.nulls import haar_blocks
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bonferroni_level, null_z
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import MODELS_DIR, held_out_text, load_model, seed_label, seed_variants


def _heads(raw, params):
    prev = previous_token_scores(raw, held_out_text(raw, params["text_windows"]))[0]
    rep = repeated_random_tokens(params["batch"], params["seq_len"], raw.cfg.d_vocab, raw.tokenizer.bos_token_id,
                                 seed=params["seed"])
    ind = induction_scores(raw, rep)[1]
    return int(prev.argmax()), float(prev.max()), int(ind.argmax()), float(ind.max()), rep


def _seed(name: str, params: dict, blocks, level: float, zc: float) -> dict:
    """One training seed: its previous-token and induction heads, composition z-scores, key-path ablations."""
    raw, m = load_model(name), load_model(name, fold=True)
    with torch.no_grad():
        prev, prev_score, ind, ind_score, rep = _heads(raw, params)
        obs, z, nulls = composition_z(m, blocks)
        sources = [int(h) for h in np.argsort(-np.round(z["K"][:, ind], 6), kind="stable")]
        w = weights_of(m)
        ablate = {"none": key_path_ablated_induction(w, rep, ind, [])}
        for h in range(m.cfg.n_heads):
            ablate[f"L0H{h}"] = key_path_ablated_induction(w, rep, ind, [h])
        ablate["top two"] = key_path_ablated_induction(w, rep, ind, sources[:2])
    qv = max(((mode, h0, h1) for mode in "QV" for h0 in range(4) for h1 in range(4)),
             key=lambda t: (round(z[t[0]][t[1], t[2]], 6), t))
    est = lambda key: null_z(obs[key[0]][key[1], key[2]], nulls[key], level=level)
    return {"prev": prev, "prev_score": prev_score, "ind": ind, "ind_score": ind_score, "obs": obs, "z": z,
            "sources": sources, "ablate": ablate, "qv": qv,
            "k_prev": est(("K", prev, ind)), "k_second": est(("K", sources[1], ind)), "qv_best": est(qv),
            "passes": {mode: int((z[mode] > zc).sum()) for mode in MODES}}


def _k_over_training(params: dict, pair: tuple[int, int], blocks) -> list[tuple]:
    """K-composition of the final model's (previous-token head -> induction head) pair at every snapshot
    (seed 0): (step, score, null mean, z)."""
    snaps = sorted(p.stem for p in (MODELS_DIR / params["model"] / "snapshots").glob("*.safetensors"))
    out = []
    for snap in [*snaps, None]:
        s = load_model(params["model"], snapshot=snap, fold=True) if snap else load_model(params["model"], fold=True)
        with torch.no_grad():
            o, null = composition_null(*composition_pair(s, "K", *pair), s.cfg.d_head, blocks)
        step = int(snap.split("-")[1]) if snap else int(params["final_step"])
        out.append((step, o, float(null.mean()), (o - null.mean()) / null.std(ddof=1)))
    return out


def compute(params: dict) -> Result:
    names = seed_variants(params["model"], params["seeds"])
    tests = len(MODES) * 16
    level, zc = bonferroni_level(tests), critical_z(tests)
    probe = load_model(names[0], fold=True)
    blocks = haar_blocks(probe.cfg.d_model, probe.cfg.d_head, params["samples"], params["seed"])
    runs = {name: _seed(name, params, blocks, level, zc) for name in names}
    head = runs[names[0]]
    pair = (head["prev"], head["ind"])
    over_training = _k_over_training(params, pair, blocks)
    return Result(
        data={"z": head["z"], "over_training": over_training, "pair": pair, "z_crit": zc},
        values=_values(params, runs, head, over_training, tests, level, zc),
        verdicts={
            "k-from-prev-head": {seed_label(n): r["k_prev"] for n, r in runs.items()},
            "one-k-source": {seed_label(n): r["k_second"] for n, r in runs.items()},
            "only-k": {seed_label(n): r["qv_best"] for n, r in runs.items()},
        },
    )


def _values(params: dict, runs: dict, head: dict, over_training: list, tests: int, level: float, zc: float) -> dict:
    """The numbers the post quotes."""
    names_h = lambda hs: " and ".join(f"L0H{h}" for h in hs)
    mode_name, a0, a1 = head["qv"]
    first, last = over_training[0], over_training[-1]
    first_src, second_src = (f"L0H{h}" for h in head["sources"][:2])
    return {
        "samples": params["samples"], "tests": tests, "z_crit": f"{zc:.2f}",
        "chance_passes": f"{tests * (1 - level):.2f}",
        "prev_head": f"L0H{head['prev']}", "prev_score": f"{head['prev_score']:.2f}",
        "ind_head": f"L1H{head['ind']}", "ind_score": f"{head['ind_score']:.2f}",
        "k_prev_pair": f"L0H{head['prev']} → L1H{head['ind']}", "k_prev_z": head["k_prev"].text,
        "k_prev_score": f"{head['obs']['K'][head['prev'], head['ind']]:.3f}",
        "k_second_pair": f"L0H{head['sources'][1]} → L1H{head['ind']}", "k_second_z": head["k_second"].text,
        "k_second_score": f"{head['obs']['K'][head['sources'][1], head['ind']]:.3f}",
        "qv_pair": f"{mode_name}: L0H{a0} → L1H{a1}", "qv_z": head["qv_best"].text,
        "qv_score": f"{head['obs'][mode_name][a0, a1]:.3f}",
        "passes_k": head["passes"]["K"], "passes_q": head["passes"]["Q"], "passes_v": head["passes"]["V"],
        "ablate_none": f"{head['ablate']['none']:.2f}",
        "ablate_first": f"{head['ablate'][first_src]:.2f}",
        "ablate_second": f"{head['ablate'][second_src]:.2f}",
        "ablate_both": f"{head['ablate']['top two']:.2f}",
        "ablate_first_head": f"L0H{head['sources'][0]}", "ablate_second_head": f"L0H{head['sources'][1]}",
        "per_seed_heads": "; ".join(
            f"{seed_label(n)}: {names_h(r['sources'][:2])} → L1H{r['ind']} (z {r['k_prev'].text}, {r['k_second'].text}); "
            f"key ablation {r['ablate']['none']:.2f} → {r['ablate']['L0H' + str(r['sources'][0])]:.2f} / "
            f"{r['ablate']['L0H' + str(r['sources'][1])]:.2f} / {r['ablate']['top two']:.2f}"
            for n, r in runs.items()),
        "prev_is_top_source": "yes" if head["sources"][0] == head["prev"] else "no",
        "k_first_step": first[0], "k_first": f"{first[1]:.3f}", "k_first_z": f"{first[3]:.0f}",
        "k_final": f"{last[1]:.3f}", "k_final_z": f"{last[3]:.0f}", "k_null_mean": f"{last[2]:.3f}",
        "k_excess_pct": f"{100 * (last[1] - last[2]) / last[2]:.0f} %",
    }


def plot(result: Result, theme: str):
    comp = result.data["z"]
    vmax = max(np.abs(c).max() for c in comp.values())
    crit = result.data["z_crit"]
    fig = style.figure(theme, width=1.0, height=5.6 if style.phone() else 5.0)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.5 if style.phone() else 1.15, 1])
    axes = top.subplots(1, 3, sharey=True)
    cmap = style.CMAP["diverging"]
    for k, (ax, (mode, c)) in enumerate(zip(axes, comp.items())):
        im = ax.imshow(c, cmap=cmap, vmin=-vmax, vmax=vmax)
        ax.set(title=f"{mode}-comp." if style.phone() else f"{mode}-composition", xlabel="layer-1 head", xticks=range(c.shape[1]),
               yticks=range(c.shape[0]))
        if k == 0:
            ax.set_ylabel("layer-0 head")
        ax.grid(False)
        for (a, b), v in np.ndenumerate(c):
            rgba = im.cmap(im.norm(v))
            dark_cell = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2] < 0.45
            ax.text(b, a, f"{v:.0f}" + ("*" if v > crit else ""), ha="center", va="center",
                    fontsize=style.FONT["small"], color="white" if dark_cell else "black")
        style.hover_grid(ax, c, [f"L0H{h}" for h in range(c.shape[0])], [f"L1H{h}" for h in range(c.shape[1])],
                         fmt="{:.1f}", template=f"{{row}} → {{col}}: {mode}-composition z = {{v}}")
    top.colorbar(im, ax=axes, label="z vs. spectrum-keeping null", shrink=0.9,
                 location="bottom" if style.phone() else "right")  # a phone's width goes to the cells
    ax = bottom.subplots()
    steps, score, null_mean, _ = zip(*result.data["over_training"])
    pair = "L0H{} → L1H{}".format(*result.data["pair"])
    blue = style.palette(theme)[0]
    ax.plot(steps, score, "o-", markersize=3, color=blue, label=pair)
    ax.plot(steps, null_mean, ":", color=style.MUTED[theme], label="null mean")
    ax.set(xlabel="training step", ylabel="K-composition score", xlim=(0, max(steps) * 1.14))
    ax.set_title(f"K-composition {pair} over training", loc="left")
    style.label_lines(ax, theme)
    style.hover_points(ax, steps, score, [f"step {s}: score {v:.3f} (null mean {m:.3f}, z = {z:.1f})"
                                          for s, v, m, z in result.data["over_training"]])
    return fig
