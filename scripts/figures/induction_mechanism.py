"""Figure: the 2-layer model's induction circuit as a diagram — the heads, the inputs they read, and what path
patching cuts — with every label computed from the model (seed 0), so the drawing cannot drift from the data.

The numbers are the causal-paths figure's own statistics (the same analysis, `causal.induction_verdicts`, on the
same sequences and reference batch): for each layer-0 head, the fraction of the induction head's score kept when
that head alone is removed from the induction head's key input; all layer-0 heads removed from its query
input; the previous-token head removed from its value input (fraction of the repeat gain kept). Heads are found
by their scores, never fixed by name. No verdict is decided here: the causal-paths figure decides them.
"""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from scripts.analysis import causal
from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.patching import reference_z
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    m = load_model(params["model"], fold=True)
    bos, V = m.tokenizer.bos_token_id, m.cfg.d_vocab
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], V, bos, seed=params["seed"])
    ref = reference_z(m, repeated_random_tokens(params["sequences"], params["seq_len"], V, bos,
                                                seed=params["reference_seed"]), [0])
    r = causal.induction_verdicts(m, rep, ablation="mean", reference=ref, unit="random sequences")
    ind, prev, clean = r["ind"], r["prev"], r["clean"]
    key_kept = [float(r["single"][(h, "k")].value) for h in range(m.cfg.n_heads)]
    second = min((h for h in range(m.cfg.n_heads) if h != prev), key=lambda h: (round(key_kept[h], 6), h))
    est = r["est"]
    return Result(
        data={"ind": ind, "prev": prev, "second": second, "key_kept": key_kept,
              "prev_scores": [float(v) for v in clean["prev"].mean(0)],
              "ind_score": float(clean["ind"][:, ind].mean()),
              "all_k": float(est["keys-need-layer0"].value), "all_q": float(est["query-from-token"].value),
              "prev_v": float(est["value-not-from-prev"].value)},
        values={"ind_head": f"L1H{ind}", "prev_head": f"L0H{prev}", "second_head": f"L0H{second}",
                "prev_k": f"{key_kept[prev]:.2f}", "second_k": f"{key_kept[second]:.2f}",
                "all_k": f"{float(est['keys-need-layer0'].value):.2f}"},
    )


# -- drawing: positions in axes fractions; the drawing is a fixed layout, the labels are the data ------------

_X = {"embed": 0.09, "l0": 0.355, "port": 0.725, "l1": 0.825, "out": 0.955, "route_in": 0.67}
# the phone rendering: the same drawing with narrower label columns and shorter words (style.phone())
_X_PHONE = {"embed": 0.08, "l0": 0.36, "port": 0.695, "l1": 0.815, "out": 0.94, "route_in": 0.645}
_PORT_Y = {"Q": 0.78, "K": 0.5, "V": 0.22}
_TOP, _BOTTOM, _LEFT = 0.95, 0.045, 0.015  # where the stream's routes to Q and V run


def _box(ax, x, y, w, h, text, edge, theme, *, fill=None, weight="normal", size=None, lw=1.2):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.008,rounding_size=0.015",
                                linewidth=lw, edgecolor=edge, facecolor=fill or style.PAGE_BG[theme],
                                transform=ax.transAxes, zorder=3))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=size or style.FONT["small"], color=style.INK[theme],
                fontweight=weight, transform=ax.transAxes, zorder=4, linespacing=1.25)


def _arrow(ax, a, b, color, *, width=1.2, dashed=False):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, linewidth=width, color=color,
                                 linestyle=(0, (3, 2)) if dashed else "-", transform=ax.transAxes, zorder=2,
                                 shrinkA=0, shrinkB=0))


def _route(ax, points, color):
    """A right-angled line through `points`, with an arrow head on its last leg."""
    xs, ys = zip(*points)
    ax.plot(xs[:-1], ys[:-1], color=color, linewidth=1.2, transform=ax.transAxes, zorder=2, solid_joinstyle="round")
    _arrow(ax, points[-2], points[-1], color)


def _label(ax, x, y, text, color, theme, **kw):
    ax.text(x, y, text, fontsize=style.FONT["small"], color=color, transform=ax.transAxes, zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": style.PAGE_BG[theme], "edgecolor": "none"}, **kw)


def plot(result: Result, theme: str):
    d = result.data
    ink, muted = style.INK[theme], style.MUTED[theme]
    accent = style.text_color(style.palette(theme)[0], theme)  # readable as text on either background
    phone = style.phone()
    X = _X_PHONE if phone else _X
    fig = style.figure(theme, width=1.0, height=4.4 if phone else 3.7, layout=None)  # one axes placed by hand
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    n = len(d["key_kept"])
    ys = [0.76 - i * (0.52 / max(n - 1, 1)) for i in range(n)]
    # inputs: every layer-0 head reads the token and its position
    emb = {"token": 0.64, "position": 0.36}
    for name, y in emb.items():
        _box(ax, X["embed"], y, 0.14 if phone else 0.125, 0.12, f"{name}\n{'emb.' if phone else 'embedding'}", muted,
             theme)
        _arrow(ax, (X["embed"] + 0.0625, y), (X["l0"] - 0.135, 0.5 + (y - 0.5) * 0.5), muted, width=1.0)
    _box(ax, X["l0"], 0.5, 0.29 if phone else 0.27, 0.8, "", muted, theme, lw=0.8)
    ax.text(X["l0"], 0.875, "layer 0", ha="center", va="center", fontsize=style.FONT["text"], color=muted,
            transform=ax.transAxes, zorder=4)
    for h, y in enumerate(ys):
        role = "previous-token head" if h == d["prev"] else "second key source" if h == d["second"] else ""
        strong = h in (d["prev"], d["second"])
        _box(ax, X["l0"], y, 0.27 if phone else 0.24, 0.11 if role else 0.075,
             f"L0H{h}  prev. {'' if phone else 'score '}{d['prev_scores'][h]:.2f}"
             + (f"\n{role.replace('previous-token', 'prev.-token') if phone else role}" if role else ""),
             accent if strong else muted, theme, weight="bold" if h == d["prev"] else "normal")
    # the induction head, its three inputs, its output
    w1 = 0.15 if phone else 0.09
    _box(ax, X["l1"], 0.5, w1, 0.72, f"L1H{d['ind']}\n\ninduction\nhead\n\nscore\n{d['ind_score']:.2f}",
         accent, theme, weight="bold")
    ax.text(X["l1"], 0.895, "layer 1", ha="center", va="center", fontsize=style.FONT["text"], color=muted,
            transform=ax.transAxes)
    for port, y in _PORT_Y.items():
        _box(ax, X["port"], y, 0.045, 0.09, port, ink, theme, weight="bold", size=style.FONT["text"])
        _arrow(ax, (X["port"] + 0.023, y), (X["l1"] - w1 / 2, y), ink, width=1.0)
    wo = 0.09 if phone else 0.075
    _box(ax, X["out"], 0.5, wo, 0.16, "logits", muted, theme)
    _arrow(ax, (X["l1"] + w1 / 2, 0.5), (X["out"] - wo / 2, 0.5), accent, width=1.6)
    # key input: each layer-0 head's path, cut alone; the line is as thick as what cutting it costs
    for h, y in enumerate(ys):
        kept = d["key_kept"][h]
        strong = h in (d["prev"], d["second"])
        color = accent if strong else muted
        _arrow(ax, (X["l0"] + 0.12, y), (X["port"] - 0.023, _PORT_Y["K"] + (y - 0.5) * 0.15), color,
               width=0.8 + 3.2 * min(max(1 - kept, 0.0), 1.0), dashed=not strong)
        _label(ax, X["l0"] + (0.142 if phone else 0.14), y + 0.012, f"{'' if phone else 'cut alone: '}keeps {kept:.2f}", color, theme,
               ha="left", va="bottom")
    _label(ax, X["port"] + (0.02 if phone else 0), _PORT_Y["K"] - 0.075, f"all cut:\nkeeps {d['all_k']:.2f}", ink,
           theme, ha="right" if phone else "center", va="top")
    # query and value inputs: the stream carries the token there; cutting layer 0 from them leaves it
    top = X["embed"], emb["token"] + 0.06
    _route(ax, [top, (top[0], _TOP), (X["route_in"], _TOP), (X["route_in"], _PORT_Y["Q"]),
                (X["port"] - 0.023, _PORT_Y["Q"])], ink)
    brk = "\n" if phone else " "
    _label(ax, 0.2, _TOP - (0.02 if phone else 0), f"the stream → Q;{brk}all of layer 0 cut from Q: keeps {d['all_q']:.2f}",
           ink, theme, ha="left", va="center")
    left = X["embed"] - 0.0625, emb["token"]
    _route(ax, [left, (_LEFT, left[1]), (_LEFT, _BOTTOM), (X["route_in"], _BOTTOM), (X["route_in"], _PORT_Y["V"]),
                (X["port"] - 0.023, _PORT_Y["V"])], ink)
    _label(ax, 0.2, _BOTTOM + (0.02 if phone else 0),
           f"the stream → V;{brk}L0H{d['prev']} cut from V: repeat gain keeps {d['prev_v']:.2f}", ink, theme,
           ha="left", va="center")
    ax.set(xlim=(0, 1), ylim=(0, 1))
    return fig
