"""Evidence for the circuits note's verdicts: held-out cross-entropy against bigram and unigram tables,
skip-trigrams ranked deterministically and checked against the corpus with a matched null, a forward-pass
check of a skip-trigram "bug", key-path ablation of layer-0 heads, and counts of heads that pass a
spectrum-keeping null (scripts/analysis/nulls.py) under a Bonferroni correction.

Everything takes the model or the data as arguments; figure scripts call these and plot.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.circuits import ov_circuit, qk_circuit
from scripts.analysis.model import Model
from scripts.analysis.residual import AttnOnlyWeights, center_and_scale
from scripts.analysis.stats import bonferroni_level, bootstrap_statistic, null_z
from scripts.engine.api import Estimate

# -- zero layers: held-out cross-entropy ---------------------------------------------------------------------


def unigram_log_probs(tokens: np.ndarray, d_vocab: int, alpha: float = 0.1) -> Float[np.ndarray, " d_vocab"]:
    """log P(token) from training counts with add-alpha smoothing."""
    counts = np.bincount(tokens.astype(np.int64), minlength=d_vocab).astype(np.float64)
    return np.log((counts + alpha) / (counts.sum() + alpha * d_vocab))


def table_nll(log_probs: np.ndarray, windows: Int[np.ndarray, "n pos"]) -> Float[np.ndarray, "n pos-1"]:
    """Next-token loss of a table model at every position of each window: -log P(w[i+1] | w[i]) for a
    bigram table [V V], -log P(w[i+1]) for a unigram vector [V]."""
    w = np.asarray(windows).astype(np.int64)
    if log_probs.ndim == 1:
        return -log_probs[w[:, 1:]]
    return -log_probs[w[:, :-1], w[:, 1:]]


def gap_closed(model_nll: Float[np.ndarray, "n p"], bigram_nll: Float[np.ndarray, "n p"],
               unigram_nll: Float[np.ndarray, "n p"], *, unit: str, seed: int = 0) -> Estimate:
    """Fraction of the unigram -> bigram cross-entropy gap that the model closes,
    (H_unigram - H_model) / (H_unigram - H_bigram), with a bootstrap interval over windows (rows):
    1 = as good as the bigram table, 0 = no better than token frequencies, < 0 = worse."""
    per_window = [np.asarray(x, dtype=np.float64).mean(1) for x in (model_nll, bigram_nll, unigram_nll)]

    def stat(m, b, u):
        return (u.mean() - m.mean()) / (u.mean() - b.mean())

    return bootstrap_statistic(stat, *per_window, unit=unit, seed=seed)


# -- one layer: skip-trigrams ---------------------------------------------------------------------------------


def _round6(x: np.ndarray) -> np.ndarray:
    """Round to 6 significant digits, so that float noise between machines cannot reorder a ranking."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        mag = np.where(x == 0, 0, np.floor(np.log10(np.abs(np.where(x == 0, 1, x)))))
    return np.round(x / 10 ** mag, 5) * 10 ** mag


def _rank(scores: np.ndarray) -> np.ndarray:
    """Indices best first: by score rounded to 6 significant digits, ties broken by index (stable)."""
    return np.argsort(-_round6(scores), kind="stable")


def standardised_circuits(model: Model, layer: int, head: int, allowed: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """QK [destination b, source a] standardised per destination, OV [source a, output c] per source
    (float64, restricted to the token ids `allowed`)."""
    qk = qk_circuit(model, layer, head)[allowed][:, allowed].detach().double().numpy()
    ov = ov_circuit(model, layer, head)[allowed][:, allowed].detach().double().numpy()
    qk_z = (qk - qk.mean(1, keepdims=True)) / qk.std(1, ddof=1, keepdims=True)
    ov_z = (ov - ov.mean(1, keepdims=True)) / ov.std(1, ddof=1, keepdims=True)
    return qk_z, ov_z


def ranked_skip_trigrams(model: Model, layer: int, head: int, allowed: Tensor, *, top: int) -> list[tuple[float, int, int, int]]:
    """The head's strongest skip-trigrams [a] ... [b] -> [c] among `allowed`, one per source a (its most
    selective destination b and its most raised output c), best first; score = QK z + OV z.
    Deterministic across machines: float64, scores rounded to 6 significant digits, ties by token order."""
    qk_z, ov_z = standardised_circuits(model, layer, head, allowed)
    b_idx = np.argsort(-_round6(qk_z), axis=0, kind="stable")[0]  # per source: first of the best destinations
    c_idx = np.argsort(-_round6(ov_z), axis=1, kind="stable")[:, 0]
    score = qk_z[b_idx, np.arange(len(allowed))] + ov_z[np.arange(len(allowed)), c_idx]
    ids = allowed.numpy()
    return [(float(_round6(score[i])), int(ids[i]), int(ids[b_idx[i]]), int(ids[c_idx[i]])) for i in _rank(score)[:top]]


class BigramIndex:
    """Where each bigram b -> c occurs in a token stream (positions of b), for fast repeated look-ups."""

    def __init__(self, tokens: np.ndarray, d_vocab: int):
        self.tokens = np.asarray(tokens).astype(np.int64)
        self.d_vocab = d_vocab
        keys = self.tokens[:-1] * d_vocab + self.tokens[1:]
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]

    def positions(self, b: int, c: int) -> np.ndarray:
        k = b * self.d_vocab + c
        lo, hi = np.searchsorted(self.sorted, [k, k + 1])
        return self.order[lo:hi]


def source_counts(index: BigramIndex, b: int, c: int, sources: np.ndarray, window: int,
                  chunk: int = 8192) -> Int[np.ndarray, " sources"]:
    """For each source token a: how often [a] ... [b] -> [c] occurs, i.e. the number of occurrences of the
    bigram b -> c with an a among the `window` tokens before b (`circuits.skip_trigram_count`, batched)."""
    sources, back = np.unique(np.asarray(sources, dtype=np.int64), return_inverse=True)  # duplicates allowed
    lookup = np.full(index.d_vocab, len(sources), dtype=np.int64)
    lookup[sources] = np.arange(len(sources))
    counts = np.zeros(len(sources), dtype=np.int64)
    pos = index.positions(b, c)
    offsets = np.arange(1, window + 1)
    for i in range(0, len(pos), chunk):
        p = pos[i:i + chunk, None] - offsets  # [n window]
        valid = p >= 0
        tok = np.where(valid, lookup[index.tokens[np.clip(p, 0, None)]], len(sources))
        present = np.zeros((len(p), len(sources) + 1), dtype=bool)
        present[np.arange(len(p))[:, None], tok] = True
        counts += present[:, :-1].sum(0)
    return counts[back]


def triple_corpus_stats(triples: list[tuple[int, int, int]], index: BigramIndex, sources: np.ndarray,
                        window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per triple (a, b, c): how often [a] ... [b] -> [c] occurs, and the null — the fraction of `sources` a'
    for which [a'] ... [b] -> [c] occurs at all (same destination and output, a random source)."""
    src = np.asarray(sources, dtype=np.int64)
    seen, null = np.zeros(len(triples), dtype=np.int64), np.zeros(len(triples))
    for i, (a, b, c) in enumerate(triples):
        counts = source_counts(index, b, c, np.append(src, a), window)
        seen[i], null[i] = counts[-1], (counts[:-1] > 0).mean()
    return seen, null


def source_excess(seen: np.ndarray, null: np.ndarray, *, unit: str = "skip-trigrams", seed: int = 0) -> Estimate:
    """Does the source a head picks go with its destination and output in the corpus? The mean over triples
    of [the triple occurs] minus the null's chance that a random source with the same destination and
    output occurs (`triple_corpus_stats`), bootstrapped over triples. 0 = the source is no better than chance."""
    return bootstrap_statistic(lambda s, n: ((s > 0) - n).mean(), np.asarray(seen, dtype=np.float64), null,
                               unit=unit, seed=seed)


def find_bug(model: Model, layer: int, head: int, allowed: Tensor, index: BigramIndex, *, sources: int, branch: int,
             min_count: int, window: int) -> tuple | None:
    """The paper's skip-trigram "bug": a head's OV circuit depends only on the source, so if it learns
    [a]...[b1]->[c1] and [a]...[b2]->[c2] it also raises [a]...[b1]->[c2]. Among the head's `sources`
    strongest sources, find two real triples (each seen >= min_count times) whose crossed triple never occurs.
    Returns (strength, a, b1, c1, b2, c2) for the strongest case, or None. Deterministic (see `_rank`)."""
    qk_z, ov_z = standardised_circuits(model, layer, head, allowed)
    ids = allowed.numpy()
    strength = qk_z.max(0) + ov_z.max(1)
    best, counts = None, {}
    for i in _rank(strength)[:sources]:
        bs = _rank(qk_z[:, i])[:branch]
        cs = _rank(ov_z[i])[:branch]
        a = np.array([ids[i]])
        for b in bs:
            for c in cs:
                counts[(i, b, c)] = int(source_counts(index, int(ids[b]), int(ids[c]), a, window)[0])
        for b1 in bs:
            for c1 in cs:
                for b2 in bs:
                    for c2 in cs:
                        if (b1 == b2 or c1 == c2 or counts[(i, b1, c1)] < min_count or counts[(i, b2, c2)] < min_count
                                or counts[(i, b1, c2)] != 0):
                            continue
                        s = float(_round6(min(qk_z[b1, i], qk_z[b2, i]) + min(ov_z[i, c1], ov_z[i, c2])))
                        if best is None or s > best[0]:
                            best = (s, int(ids[i]), int(ids[b1]), int(ids[c1]), int(ids[b2]), int(ids[c2]))
    return best


def source_logit_boost(model: Model, windows: Int[Tensor, "n pos"], a: int, b: int, c: int, *, seed: int = 0,
                       chunk: int = 128) -> Float[Tensor, " n"]:
    """A forward-pass check of a skip-trigram [a] ... [b] -> [c]: in each context (a window of text with its
    last token set to b and one earlier token, at a random position, set to a), the logit of c at the last
    position minus its logit in the same context with that token left as it was (not a). Contexts that
    contain a elsewhere are the caller's to exclude."""
    x = windows.clone()
    n, L = x.shape
    x[:, -1] = b
    g = torch.Generator().manual_seed(seed)
    p = torch.randint(1, L - 1, (n,), generator=g)
    with_a = x.clone()
    with_a[torch.arange(n), p] = a
    out = []
    with torch.no_grad():
        for i in range(0, n, chunk):
            both = torch.cat([with_a[i:i + chunk], x[i:i + chunk]])
            logits = model(both)[:, -1, c]
            k = len(both) // 2
            out.append(logits[:k] - logits[k:])
    return torch.cat(out)


# -- two layers: what feeds the induction head's keys --------------------------------------------------------


def key_path_ablated_induction(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"], layer1_head: int,
                               ablate: list[int] | tuple[int, ...]) -> float:
    """Induction score of one layer-1 head when the outputs of the layer-0 heads `ablate` are replaced by
    their mean (over the batch, per position) in that head's *keys* only; its queries and values, and every
    other head, read the unchanged stream. `ablate=[]` gives the model's own score."""
    x0 = w.W_E[tokens] + w.W_pos[: tokens.shape[1]]
    n = tokens.shape[1]
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)

    def pattern(layer, h, q_in, k_in):
        q = q_in @ w.W_Q[layer, h] + w.b_Q[layer, h]
        k = k_in @ w.W_K[layer, h] + w.b_K[layer, h]
        s = torch.einsum("bqe,bke->bqk", q, k) / w.W_Q.shape[-1] ** 0.5
        return s.masked_fill(mask, float("-inf")).softmax(-1)

    h0 = center_and_scale(x0, w.eps)
    outs = []
    for h in range(w.W_Q.shape[1]):
        v = h0 @ w.W_V[0, h] + w.b_V[0, h]
        outs.append(torch.einsum("bqk,bke->bqe", pattern(0, h, h0, h0), v) @ w.W_O[0, h])
    x1 = x0 + sum(outs) + w.b_O[0]
    x1_k = x1 + sum(outs[h].mean(0, keepdim=True) - outs[h] for h in ablate) if ablate else x1
    A = pattern(1, layer1_head, center_and_scale(x1, w.eps), center_and_scale(x1_k, w.eps))
    seq_len = (n - 1) // 2
    return A.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)[..., 2:].mean().item()


# -- many heads against a null --------------------------------------------------------------------------------


def critical_z(tests: int, level: float = 0.95) -> float:
    """One-sided critical z-score at family-wise `level` over `tests` tests (Bonferroni)."""
    return NormalDist().inv_cdf(1 - (1 - level) / tests)


def significant_fraction(observed: list[float], nulls: list[np.ndarray], *, tests: int, unit: str = "heads",
                         seed: int = 0) -> tuple[Estimate, list[Estimate]]:
    """Fraction of `observed` statistics that lie above their null at the Bonferroni level over `tests` tests.

    Each statistic's z-score against its null gets a Bonferroni-level interval (from resampling the null
    draws); a statistic counts when z exceeds `critical_z(tests)`. The fraction's interval runs from the count
    at the lower ends of the z intervals to the count at their upper ends (the null's finiteness is the
    only uncertainty: the weights are fixed). Returns the fraction and the per-statistic z Estimates."""
    level = bonferroni_level(tests)
    zs = [null_z(o, nl, level=level, seed=seed) for o, nl in zip(observed, nulls)]
    zc = critical_z(tests)
    k = len(zs)
    frac = lambda vals: sum(v > zc for v in vals) / k
    est = Estimate(frac([z.value for z in zs]), frac([z.low for z in zs]), frac([z.high for z in zs]), k, unit,
                   f"z-scores against spectrum-keeping nulls > {zc:.2f} (one-sided 5 %, Bonferroni over {tests} "
                   f"tests); interval from each z's {100 * level:.1f} % interval", level, covers="null")
    return est, zs
