"""Figure: the feature browser, Towards Monosemanticity's interface for reading an autoencoder, on our three
dictionaries (widget `feature-browser`, docs/assets/javascripts/feature-browser.js).

For every feature of `sae-mlp-1l` (512, 2,048 and 4,096 features) on held-out text (the first position of each
window left out: it is always the same token): how often it fires, the histogram of its activations, its
strongest contexts (one per window of text, each text once: the corpus repeats some passages) with the feature's activation on every token, and the tokens its
decoder direction promotes and suppresses through the unembedding (`scripts/analysis/sae_browser.py`).

The widget's data is an index (the vocabulary, and per feature its firing count, the token its strongest
activations fall on most and the share they do, and the token it promotes most: enough to search by token)
plus `shards` files of `shard_size` features each, fetched when a feature in them is opened. The still image
shows two features picked by rule: the most token-specific of those firing on at least `example_density` of
tokens (the highest top-token share, then the most frequent), and the least.
"""

from __future__ import annotations

import math
import re

import torch

from scripts.analysis.sae import mlp_activations
from scripts.analysis.sae_browser import context_activations, direct_logit_effects, feature_profiles, spread_positions
from scripts.analysis.sae_units import top_token_share
from scripts.engine import style
from scripts.engine.api import Result, visible_whitespace
from scripts.sae.load import load_sae
from scripts.zoo.load import held_out_text, load_model


def _feature_detail(sae, j: int, prof: dict, x, tokens, effects, p: dict) -> dict:
    """One feature's shard entry: maximum, histogram, contexts (token ids and activations as % of the maximum),
    and its most promoted and suppressed tokens with their direct effects."""
    windows, width = tokens.shape
    top = float(prof["top_values"][j, 0])
    contexts, seen = [], set()
    for pos in spread_positions(prof["top_positions"][j], prof["top_values"][j], width, p["top"]):
        w, i = divmod(pos, width)
        span, f = context_activations(sae, j, x, w, i, p["before"], p["after"])
        shown = tokens[w, span.start:span.stop].tolist()
        if tuple(shown) in seen:  # the corpus repeats some passages: show each text once
            continue
        seen.add(tuple(shown))
        contexts.append({"w": w, "at": i - span.start, "t": shown, "a": [round(100 * v / top) for v in f.tolist()]})
        if len(contexts) == p["contexts"]:
            break
    up, down = effects[j].topk(p["logits"]), (-effects[j]).topk(p["logits"])
    return {"max": round(top, 3), "hist": prof["hist"][j].tolist(), "ctx": contexts,
            "up": [[int(t), round(float(v), 2)] for v, t in zip(*up)],
            "down": [[int(t), round(-float(v), 2)] for v, t in zip(*down)]}


def _pick_examples(index: dict, tokens_total: int, min_density: float) -> tuple[dict[str, int], dict[str, int]]:
    """The most and least token-specific features among those firing often enough to judge (share known), ties
    broken by firing most often; and how many features tie with each on its share."""
    ok = [j for j, (c, s) in enumerate(zip(index["count"], index["share"])) if c >= min_density * tokens_total
          and s >= 0]
    specific = max(ok, key=lambda j: (index["share"][j], index["count"][j], -j))
    diffuse = min(ok, key=lambda j: (index["share"][j], -index["count"][j], j))
    ties = {name: sum(index["share"][k] == index["share"][j] for k in ok)
            for name, j in (("specific", specific), ("diffuse", diffuse))}
    return {"specific": specific, "diffuse": diffuse}, ties | {"judged": len(ok)}


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    text = held_out_text(model, params["windows"])
    tokens = text[:, 1:]
    acts = mlp_activations(model, text)[:, 1:]
    n = tokens.numel()
    vocab = [model.tokenizer.decode([t]) for t in range(model.cfg.d_vocab)]
    W_out, W_U, ln_w = model.W_out[0].detach(), model.W_U.detach(), model.ln_final.weight.detach()
    size_ = params["shard_size"]
    index = {"sizes": params["sizes"], "vocab": vocab, "tokens": n, "shard_size": size_, "first_shard": {},
             "features": {}}
    shards, examples, stills = [], {}, {}
    for size in params["sizes"]:
        sae, scale = load_sae(params["model"], size)
        x = acts * scale
        prof = feature_profiles(sae, x.reshape(n, -1), k=params["top"], bins=params["bins"])
        k = params["share_k"]
        share = top_token_share(prof["top_values"][:, :k], prof["top_positions"][:, :k], tokens.reshape(-1))
        top_tok = [int(torch.bincount(tokens.reshape(-1)[i[v > 0]]).argmax()) if (v > 0).any() else -1
                   for v, i in zip(prof["top_values"][:, :k], prof["top_positions"][:, :k])]
        effects = direct_logit_effects(sae, W_out, W_U, ln_w)
        entry = {"count": prof["count"].tolist(), "token": top_tok,
                 "share": [-1 if math.isnan(s) else round(100 * s) for s in share.tolist()],
                 "up": effects.argmax(1).tolist()}
        index["features"][str(size)] = entry
        index["first_shard"][str(size)] = len(shards)
        details = [_feature_detail(sae, j, prof, x, tokens, effects, params) for j in range(size)]
        shards += [details[i:i + size_] for i in range(0, size, size_)]
        if size == params["sizes"][-1]:
            examples, ties = _pick_examples(entry, n, params["example_density"])
            stills = {name: {"feature": j, "detail": details[j]} for name, j in examples.items()}
    last = str(params["sizes"][-1])
    values = {"features": f"{sum(params['sizes']):,}", "tokens": f"{n:,}", "shards": len(shards),
              "frequent": f"{ties['judged']:,}"}
    for name, j in examples.items():
        e = index["features"][last]
        values |= {f"{name}_id": str(j), f"{name}": f"{j:,}", f"{name}_token": _quoted(vocab[e["token"][j]]),
                   f"{name}_share": f"{e['share'][j] / 100:.2f}", f"{name}_density": f"{e['count'][j] / n:.2%}",
                   f"{name}_ties": f"{ties[name]:,}",
                   f"{name}_up": ", ".join(_quoted(vocab[t]) for t, _ in stills[name]["detail"]["up"][:4])}
    index["start"] = {"size": params["sizes"][-1], "feature": examples["specific"]}
    return Result(data={"vocab": vocab, "stills": stills, "size": params["sizes"][-1], "tokens": n,
                        "counts": {name: index["features"][last]["count"][j] for name, j in examples.items()},
                        "shown": params["still_contexts"]},
                  values=values, widget_data=index, widget_shards=shards)


def _quoted(token: str) -> str:
    return f"“{token.strip()}”" if token.strip() else f"“{visible_whitespace(token)}”"


# -- the still image: each example feature's strongest contexts, aligned on the token it fires most on --------

def _shown(text: str) -> str:
    """Context as the still image prints it: newlines and tabs visible, a run of spaces (code's indentation)
    as one, kept unbreakable (an SVG collapses ordinary spaces at a text's ends)."""
    return re.sub(" {2,}", " ", text.replace("\n", "↵").replace("\t", "⇥")).replace(" ", "\u00a0")


def _key(token: str) -> str:
    """The token a context is aligned on: as it reads, or with its whitespace drawn if it is only whitespace."""
    return _shown(token) if token.strip() else re.sub("␣{2,}", lambda m: f"␣×{len(m.group())}",
                                                       visible_whitespace(token))


def plot(result: Result, theme: str):
    from matplotlib.patches import Rectangle

    d = result.data
    pt = style.FONT["small"]
    char_in = 0.602 * pt / 72  # DejaVu Sans Mono's advance: 0.602 em
    rows = sum(1 + min(d["shown"], len(s["detail"]["ctx"])) for s in d["stills"].values()) + 1
    fig = style.figure(theme, height=rows * style.ROW_PT * 1.25 / 72 + 0.1, layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    cols = fig.get_figwidth() / char_in
    ax.set(xlim=(0, cols), ylim=(rows, 0))
    ink, muted = style.INK[theme], style.MUTED[theme]
    accent = style.palette(theme)[0]
    centre = cols * 0.55
    y = 0.6
    for name, still in d["stills"].items():
        j, det = still["feature"], still["detail"]
        count = d["counts"][name]
        which = "the most" if name == "specific" else "the least"
        head = (f"Feature {j:,} ({which} token-specific): on {count / d['tokens']:.2%} of tokens" if style.phone() else
                f"Feature {j:,} of {d['size']:,} ({which} token-specific): fires on {count / d['tokens']:.2%} of "
                "held-out tokens")
        ax.text(0.5, y, head, fontsize=pt,
                color=ink, va="center", weight="bold")
        y += 1
        for c in det["ctx"][: d["shown"]]:
            words = [d["vocab"][t] for t in c["t"]]
            at = c["at"]
            left = _shown("".join(words[:at]))[-int(centre - 1):]
            key = _key(words[at])
            right = _shown("".join(words[at + 1:]))[: int(cols - centre - len(key) - 1)]
            ax.add_patch(Rectangle((centre - 0.15, y - 0.45), len(key) + 0.3, 0.9, color=accent, alpha=0.28, lw=0))
            ax.text(centre, y, key, family=style.METRIC_MONO, fontsize=pt, color=ink, va="center", ha="left",
                    weight="bold")
            if left:
                ax.text(centre - 0.2, y, left, family=style.METRIC_MONO, fontsize=pt, color=muted, va="center",
                        ha="right")
            if right:
                ax.text(centre + len(key) + 0.2, y, right, family=style.METRIC_MONO, fontsize=pt, color=muted,
                        va="center", ha="left")
            y += 1
        y += 0.4
    return fig
