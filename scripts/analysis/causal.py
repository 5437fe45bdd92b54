"""The induction circuit, causally: which layer-0 heads an induction head needs, and in which of its inputs.

Context: composition scores and attention stripes say that a layer-0 previous-token head feeds the induction
head's keys. Here each layer-0 head is removed (mean-ablated by default, `scripts/analysis/patching.py`) from
one input — query, key or value — of one layer-1 head at a time, and the effect is measured on the behaviour
itself, per random sequence `[BOS] r r`: the head's induction score, and the *repeat gain* (loss on the first
copy minus loss on the second: how much the repeat helps the model). Effects are fractions kept
(`ratio_of_means`: patched mean over clean mean), bootstrapped over sequences by the caller.

A head's attention pattern depends only on its own query and key inputs, so removing a layer-0 head from
*every* layer-1 head's keys at once gives each head's induction score exactly as if it were removed from that
head alone; `induction_sweep` uses this to fill the induction heatmaps in one run per layer-0 head and input,
stopping each forward pass at layer 1's pattern. Loss effects do not separate that way: `gain_sweep` measures
them for the induction head alone, one full run per path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.patching import Ablation, Path, induction_per_sequence, run_patched
from scripts.analysis.per_unit import repeat_halves
from scripts.analysis.stats import bootstrap_statistic

INPUTS = ("q", "k", "v")


def measure(model: Model, tokens: Int[Tensor, "batch pos"], paths: Sequence[Path] = (), *,
            heads: Sequence[tuple[int, int]] = (), ablation: Ablation = "mean",
            reference: Int[Tensor, "batch pos"] | dict[int, Tensor] | None = None, loss: bool = True) -> dict[str, np.ndarray]:
    """Per sequence: the induction score of every layer-1 head (`ind` [batch, head]), the previous-token score
    of every layer-0 head (`prev` [batch, head]) and, unless `loss=False` (patterns only, cheaper), the loss on
    the first and second copy (`first`, `second` [batch]), with `paths` patched and `heads` ablated."""
    out = run_patched(model, tokens, heads=heads, paths=paths, ablation=ablation, reference=reference,
                      pattern_layers=[0, 1], loss=loss)
    prev = out["pattern0"].diagonal(offset=-1, dim1=-2, dim2=-1)[..., 1:].mean(-1)
    m = {"ind": induction_per_sequence(out["pattern1"]).numpy(), "prev": prev.numpy()}
    if loss:
        first, second = repeat_halves(out["loss"])
        m |= {"first": first.numpy(), "second": second.numpy()}
    return m


def gain(m: dict[str, np.ndarray]) -> Float[np.ndarray, " batch"]:
    """Per-sequence repeat gain: loss on the first copy minus loss on the second (nats)."""
    return m["first"] - m["second"]


def ratio_of_means(patched: np.ndarray, clean: np.ndarray) -> float:
    """The statistic every "fraction kept" verdict bootstraps: mean patched over mean clean (paired units)."""
    return float(np.mean(patched) / np.mean(clean))


def induction_sweep(model: Model, tokens: Int[Tensor, "batch pos"], *, ablation: Ablation = "mean",
                    reference: Int[Tensor, "batch pos"] | dict[int, Tensor] | None = None) -> dict[tuple[int, str], np.ndarray]:
    """`{(h, kind): induction scores [batch, layer-1 head]}` with layer-0 head h removed from the `kind` (q or k)
    input of every layer-1 head at once — each head's score is then exactly its score with h removed from its
    own input alone. Patterns only: one cheap run per layer-0 head and input."""
    H = model.cfg.n_heads
    return {(h, kind): measure(model, tokens, [Path((0, h), (1, j, kind)) for j in range(H)], ablation=ablation,
                               reference=reference, loss=False)["ind"]
            for h in range(H) for kind in ("q", "k")}


def gain_sweep(model: Model, tokens: Int[Tensor, "batch pos"], head: int, pairs: Sequence[tuple[int, str]], *,
               ablation: Ablation = "mean", reference: Int[Tensor, "batch pos"] | dict[int, Tensor] | None = None) -> dict:
    """`{(h, kind): measure}` with layer-0 head h removed from the `kind` input of layer-1 head `head` only,
    for each (h, kind) in `pairs` (loss effects do not separate across heads: one full run per pair)."""
    return {(h, kind): measure(model, tokens, [Path((0, h), (1, head, kind))], ablation=ablation, reference=reference)
            for h, kind in pairs}


def kept_matrix(sweep: dict, clean: dict[str, np.ndarray], kind: str) -> Float[np.ndarray, "h0 h1"]:
    """Fraction of each layer-1 head's induction score kept when each layer-0 head is removed from its `kind`
    input (rows: layer-0 heads; columns: layer-1 heads), from `induction_sweep`."""
    H = clean["ind"].shape[1]
    return np.array([[ratio_of_means(sweep[(h, kind)][:, j], clean["ind"][:, j]) for j in range(H)] for h in range(H)])


def gain_matrix(sweep: dict, clean: dict[str, np.ndarray]) -> Float[np.ndarray, "h0 input"]:
    """Fraction of the repeat gain kept when each layer-0 head is removed from the induction head's query, key or
    value input (rows: layer-0 heads; columns: q, k, v), from a full `gain_sweep`."""
    H = clean["ind"].shape[1]
    return np.array([[ratio_of_means(gain(sweep[(h, kind)]), gain(clean)) for kind in INPUTS] for h in range(H)])


def complement(keep: Sequence[tuple[int, str]], head: int, n_heads: int, kinds: Sequence[str] = ("q", "k")) -> list[Path]:
    """Every path from a layer-0 head into `kinds` of layer-1 head `head` except those in `keep` ((h, kind))."""
    return [Path((0, h), (1, head, kind)) for h in range(n_heads) for kind in kinds if (h, kind) not in set(keep)]


def best_index(x) -> int:
    """The index of the largest value, compared at 6 decimals so that ties go to the lowest index on any machine."""
    return int(np.argmax(np.round(np.asarray(x, dtype=np.float64), 6)))


def induction_verdicts(model: Model, tokens: Int[Tensor, "batch pos"], *, ablation: Ablation = "mean",
                       reference: Int[Tensor, "batch pos"] | dict[int, Tensor] | None = None,
                       necessary_below: float = 0.9, gain_pairs: Sequence[tuple[int, str]] | None = None,
                       unit: str = "random sequences") -> dict:
    """The causal verdicts' statistics for one model, as Estimates bootstrapped over sequences.

    The induction head (highest induction score) and the previous-token head (highest previous-token score in
    layer 0) are found on `tokens` itself. Then: `keys-need-layer0` — induction score kept with every layer-0
    head removed from the induction head's keys; `prev-head-alone` — with the previous-token head alone removed
    from them; `value-not-from-prev` — repeat gain kept with the previous-token head removed from its values;
    `query-from-token` — induction score kept with every layer-0 head removed from its queries;
    `necessary-sufficient` — kept when every layer-0 path into its queries and keys is removed except the
    *necessary* ones (single removal keeps less than `necessary_below`, the whole interval below it).
    `gain_pairs`: the (h, kind) paths into the induction head whose loss effect to measure as well (the
    previous-token head's value path is always measured). Returns the estimates and what they were made of."""
    kept = lambda patched, clean: bootstrap_statistic(ratio_of_means, patched, clean, unit=unit)
    H = model.cfg.n_heads
    clean = measure(model, tokens)
    ind, prev = best_index(clean["ind"].mean(0)), best_index(clean["prev"].mean(0))
    c_ind = clean["ind"][:, ind]
    sweep = induction_sweep(model, tokens, ablation=ablation, reference=reference)
    single = {hk: kept(scores[:, ind], c_ind) for hk, scores in sweep.items()}
    necessary = [hk for hk, e in single.items() if e.high < necessary_below]
    pairs = list(dict.fromkeys([*(gain_pairs or []), (prev, "v")]))
    gains = gain_sweep(model, tokens, ind, pairs, ablation=ablation, reference=reference)
    groups = {"all_k": complement([], ind, H, ("k",)), "all_q": complement([], ind, H, ("q",)),
              "sufficient": complement(necessary, ind, H)}
    runs = {g: measure(model, tokens, p, ablation=ablation, reference=reference, loss=False)["ind"][:, ind]
            for g, p in groups.items()}
    est = {
        "keys-need-layer0": kept(runs["all_k"], c_ind),
        "prev-head-alone": single[(prev, "k")],
        "value-not-from-prev": kept(gain(gains[(prev, "v")]), gain(clean)),
        "query-from-token": kept(runs["all_q"], c_ind),
        "necessary-sufficient": kept(runs["sufficient"], c_ind),
    }
    return {"est": est, "ind": ind, "prev": prev, "clean": clean, "sweep": sweep, "gains": gains, "single": single,
            "necessary": necessary, "groups": groups}
