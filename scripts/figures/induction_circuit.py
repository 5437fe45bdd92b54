"""Figure: the induction head's attention stripe on repeated random tokens, and every layer-1 head placed by
QK (K-composition path) positivity against OV (copying) positivity.

Per training seed: the induction heads are found by their induction score on repeated random tokens (a head
counts if its bootstrap interval over sequences lies above 0.4; if none does, the best head is the candidate,
so the verdicts can fail). For each of them, the eigenvalue positivity of its induction QK path and of its OV
circuit is compared with a spectrum-keeping null (one factor rotated at random, `scripts/analysis/nulls.py`)
as a z-score; the verdict reports the weakest head's z, with a Bonferroni-corrected interval.
"""

from __future__ import annotations

from scripts.analysis.induction import attention_patterns, repeated_random_tokens
from scripts.analysis.per_unit import find_induction_heads, induction_stripe, positivity_z, unit_pass
from scripts.analysis.residual import weights_of
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import load_model, seed_label, seed_variants


def compute(params: dict) -> Result:
    seq_len = params["seq_len"]
    verdict_qk, verdict_ov, by_seed, shown = {}, {}, [], None
    for name in seed_variants(params["model"], params["seeds"]):
        folded = load_model(name, fold=True)
        rep = repeated_random_tokens(params["sequences"], seq_len, folded.cfg.d_vocab,
                                     bos=folded.tokenizer.bos_token_id, seed=params["seed"])
        per_seq = unit_pass(weights_of(folded), rep, stripes={"ind": induction_stripe(seq_len)})["ind"][:, 1].numpy()
        heads, scores = find_induction_heads(per_seq)
        pos = positivity_z(folded, heads, draws=params["null_draws"], seed=params["seed"])
        label = seed_label(name)
        verdict_qk[label], verdict_ov[label] = pos["weakest"]["qk"], pos["weakest"]["ov"]
        by_seed.append(f"{label}: " + ", ".join(
            f"L1H{h} (induction {scores[h].text}, QK {pos['qk'][h]:.2f}, OV {pos['ov'][h]:.2f})" for h in heads))
        if shown is None:  # the headline model: seed 0
            top = max(heads, key=lambda h: (round(scores[h].value, 6), -h))
            raw = load_model(name)
            pattern = attention_patterns(raw, rep[:1])[1][0, top].numpy()
            shown = {"pattern": pattern, "head": top, "heads": heads, "qk": [pos["qk"][h] for h in range(4)],
                     "ov": [pos["ov"][h] for h in range(4)], "ind": [scores[h].value for h in range(4)],
                     "z": {k: {h: pos["z"][k][h].text for h in range(4)} for k in ("qk", "ov")}, "scores": scores,
                     "pos": pos}
    s = shown
    return Result(
        data={k: s[k] for k in ("pattern", "head", "heads", "qk", "ov", "ind")},
        values={"head": f"L1H{s['head']}", "score": s["scores"][s["head"]].text,
                "heads": ", ".join(f"L1H{h}" for h in s["heads"]), "n_heads": len(s["heads"]),
                "qk_head": f"{s['qk'][s['head']]:.2f}", "ov_head": f"{s['ov'][s['head']]:.2f}",
                "z_qk_head": s["z"]["qk"][s["head"]], "z_ov_head": s["z"]["ov"][s["head"]],
                "positivity": "; ".join(f"L1H{h}: QK {s['qk'][h]:.2f} (z {s['z']['qk'][h]}), OV {s['ov'][h]:.2f} "
                                        f"(z {s['z']['ov'][h]})" for h in range(4)),
                "by_seed": " — ".join(by_seed), "null_draws": params["null_draws"], "sequences": params["sequences"]},
        verdicts={"qk-path-positive": verdict_qk, "ov-positive": verdict_ov},
    )


def plot(result: Result, theme: str):
    fig, (a1, a2) = style.subplots(theme, 1, 2, width=1.0, height=3.4, gridspec_kw={"width_ratios": [1, 1.05]})
    m = result.data["pattern"]
    a1.imshow(m, cmap="magma" if theme == "dark" else "Blues", vmin=0, vmax=1)
    a1.set(xlabel="source position", ylabel="destination position")
    a1.set_title(f"L1H{result.data['head']} attention (light: 0, dark: 1)" if theme == "light"
                 else f"L1H{result.data['head']} attention (dark: 0, bright: 1)", loc="left")
    a1.grid(False)
    n = m.shape[0]
    style.hover_grid(a1, m, [str(i) for i in range(n)], [str(j) for j in range(n)],
                     template="destination {row} → source {col}: attention {v}")
    ov, qk, ind = result.data["ov"], result.data["qk"], result.data["ind"]
    a2.axhline(0, color=style.MUTED[theme], linewidth=0.8)
    a2.axvline(0, color=style.MUTED[theme], linewidth=0.8)
    # heads that land on (almost) the same point share one label
    groups: list[list[int]] = []
    for h in range(len(qk)):
        for g in groups:
            if abs(qk[g[0]] - qk[h]) < 0.08 and abs(ov[g[0]] - ov[h]) < 0.08:
                g.append(h)
                break
        else:
            groups.append([h])
    for h in range(len(qk)):
        a2.plot(qk[h], ov[h], "o", markersize=7, color=style.color_for(f"L1H{h}"), zorder=3)
    a2.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="QK positivity (K-composition path)",
           ylabel="OV positivity (copying)")
    a2.set_title("layer-1 heads (induction score)", loc="left")
    labels = [" & ".join(f"L1H{h} ({ind[h]:.2f})" for h in g) if len(g) < 2 else
              "\n".join(f"L1H{h} ({ind[h]:.2f})" for h in g) for g in groups]
    style.label_points(a2, theme, [qk[g[0]] for g in groups], [ov[g[0]] for g in groups], labels,
                       color=[style.color_for(f"L1H{g[0]}") if len(g) == 1 else style.INK[theme] for g in groups])
    style.hover_points(a2, qk, ov, [f"L1H{h}: QK {qk[h]:.2f}, OV {ov[h]:.2f}, induction {ind[h]:.2f}"
                                    for h in range(len(qk))])
    return fig
