"""Figure: the 1-layer model's strongest skip-trigrams [a] ... [b] -> [c], read from its QK and OV circuits,
checked against the corpus; and a "bug": a triple a head boosts that never occurs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.circuits import find_skip_trigram_bug, skip_trigram_count, skip_trigrams
from scripts.engine.api import Result
from scripts.zoo.load import corpus_tokens, load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    tokens, train_end = corpus_tokens(model)
    text = np.asarray(tokens[:train_end]).astype(np.int64)
    counts = np.bincount(text, minlength=model.cfg.d_vocab)
    allowed = torch.tensor([t for t in np.argsort(-counts)[: params["vocab"]] if t >= 2])
    show = lambda t: repr(model.tokenizer.decode([t]))  # noqa: E731
    tables, seen, bugs = {}, 0, []
    with torch.no_grad():
        for h in range(model.cfg.n_heads):
            rows = []
            for score, a, b, c in skip_trigrams(model, 0, h, allowed, top=params["candidates"]):
                n = skip_trigram_count(text, a, b, c, model.cfg.n_ctx - 1)
                rows.append((score, a, b, c, n))
                seen += n > 0
            tables[f"L0H{h}"] = [(f"{show(a)} … {show(b)} → {show(c)}", f"{s:.1f}", n) for s, a, b, c, n in rows[: params["rows"]]]
            found = find_skip_trigram_bug(model, 0, h, allowed, text, sources=params["bug_sources"],
                                          branch=params["bug_branch"], min_count=params["bug_min_count"])
            if found:
                bugs.append((found[0], h, *found[1:]))
    total = params["candidates"] * model.cfg.n_heads
    bug = max(bugs) if bugs else None  # (strength, head, a, b1, c1, b2, c2)
    if bug:
        _, h, a, b1, c1, b2, c2 = bug
        bug_text = {"bug_real_1": f"{show(a)} … {show(b1)} → {show(c1)}", "bug_real_2": f"{show(a)} … {show(b2)} → {show(c2)}",
                    "bug": f"{show(a)} … {show(b1)} → {show(c2)}", "bug_head": f"L0H{h}"}
    else:
        bug_text = {"bug_real_1": "none", "bug_real_2": "none", "bug": "none found", "bug_head": "none"}
    return Result(
        data={"tables": tables},
        values={"seen": seen, "total": total, "seen_pct": f"{100 * seen / total:.0f} %",
                "n_bug_heads": len(bugs), "vocab": params["vocab"], "min_count": params["bug_min_count"], **bug_text,
                "verdict": f"readable skip-trigrams; {100 * seen / total:.0f} % of the strongest occur in the corpus"},
    )


def plot(result: Result, theme: str):
    tables = result.data["tables"]
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 4.8))
    ink, grid = plt.rcParams["text.color"], plt.rcParams["grid.color"]
    for ax, (head, rows) in zip(axes.flat, tables.items()):
        ax.axis("off")
        ax.set_title(head, fontsize=9)
        t = ax.table(cellText=[list(map(str, r)) for r in rows], colLabels=["skip-trigram", "score", "in corpus"],
                     loc="center", cellLoc="left", colWidths=[0.68, 0.14, 0.18])
        t.auto_set_font_size(False)
        t.set_fontsize(7)
        t.scale(1, 1.2)
        for cell in t.get_celld().values():
            cell.set_edgecolor(grid)
            cell.set_facecolor("none")
            cell.get_text().set_color(ink)
    fig.tight_layout()
    return fig
