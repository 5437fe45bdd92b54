"""Figure: the induction-head phase change in the 2-layer model, evaluated on its training snapshots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from scripts.analysis.induction import (
    icl_score, induction_scores, per_token_loss, previous_token_scores, repeated_random_tokens,
)
from scripts.engine.api import Result
from scripts.zoo.load import MODELS_DIR, held_out_text, load_model


def compute(params: dict) -> Result:
    name = params["model"]
    snapshots = sorted(p.stem for p in (MODELS_DIR / name / "snapshots").glob("step-*.safetensors"))
    meta_steps = [int(s.split("-")[1]) for s in snapshots]
    final = load_model(name)
    text = held_out_text(final, params["batch"])
    rep = repeated_random_tokens(params["batch"], 50, final.cfg.d_vocab, bos=final.tokenizer.bos_token_id, seed=params["seed"])
    rows = []
    for snap, step in [*zip(snapshots, meta_steps), (None, None)]:
        model = final if snap is None else load_model(name, snapshot=snap)
        loss = per_token_loss(model, text)
        rows.append({
            "step": step, "loss": loss.mean().item(),
            "icl": icl_score(loss),
            "ind": induction_scores(model, rep)[1:].max().item(),
            "prev": previous_token_scores(model, text)[0].max().item(),
        })
    import json

    total = json.loads((MODELS_DIR / name / "meta.json").read_text())["steps"]
    rows[-1]["step"] = total
    tokens_per_step = final.cfg.n_ctx * params["batch_size"]
    first = next((r for r in rows if r["ind"] >= 0.4), None)
    before = rows[rows.index(first) - 1] if first and rows.index(first) > 0 else None
    return Result(
        data={"rows": rows, "tokens_per_step": tokens_per_step},
        values={
            "first_step": first["step"] if first else "never",
            "first_tokens": f"{first['step'] * tokens_per_step / 1e6:.1f}M" if first else "never",
            "before_step": before["step"] if before else "n/a",
            "icl_before": f"{before['icl']:.2f}" if before else "n/a",
            "icl_after": f"{rows[-1]['icl']:.2f}",
            "n_snapshots": len(snapshots),
        },
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    tokens = [r["step"] * result.data["tokens_per_step"] / 1e6 for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.0, 3.0))
    a1.plot(tokens, [r["ind"] for r in rows], "o-", markersize=3, label="induction (best layer-1 head)")
    a1.plot(tokens, [r["prev"] for r in rows], "s-", markersize=3, label="previous-token (best layer-0 head)")
    a1.axhline(0.4, color="0.5", linestyle=":", linewidth=1)
    a1.set(xlabel="training tokens (millions)", ylabel="attention score", ylim=(0, 1))
    a1.legend(fontsize=7)
    a2.plot(tokens, [r["loss"] for r in rows], "o-", markersize=3, label="held-out loss")
    a2.set(xlabel="training tokens (millions)", ylabel="loss (nats)")
    a3 = a2.twinx()
    a3.plot(tokens, [r["icl"] for r in rows], "^-", markersize=3, color="C2", label="ICL score")
    a3.set_ylabel("ICL score (late − early loss)")
    a3.grid(False)
    a3.spines["right"].set_visible(True)
    lines = a2.get_lines() + a3.get_lines()
    a2.legend(lines, [l.get_label() for l in lines], fontsize=7)
    fig.tight_layout()
    return fig
