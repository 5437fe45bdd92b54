"""The residual stream as a channel, in bits: what a linear probe reads about a token at each stream point, what
a head's mean ablation costs in those bits, and how many dimensions the stream spreads its variance over.

Context: the Framework paper calls the residual stream a communication channel. A channel's capacity is
counted in bits, so we ask how many bits about the current token, and about the previous one, the stream
carries after the embeddings and after each layer. The mutual information I(stream; token) is out of reach in
128 dimensions, but any predictor gives a bound: for a probe q(token | stream) with held-out cross-entropy
H_q (bits), I(stream; token) >= H(token) - H_q, since H_q >= H(token | stream). The probe here is multinomial
logistic regression on the whitened stream (full-batch L-BFGS, weight decay, a fixed number of iterations
from zero: deterministic). The bound is about *linear* readability only; a better probe could read more, and
nothing here says the model itself reads it (an ablation is what ties bits to a component).

Targets are restricted to the `classes - 1` commonest tokens of the probe's training text and one "other"
class (the probe's cost grows with the number of classes). The target is then a function of the token, so
its information is still a lower bound on the token's. Entropies are plug-in entropies of that target on the
evaluation text (`entropy_bits`); per-position cross-entropies are averaged per window, the unit the
verdicts bootstrap over.

Effective dimensionality: the participation ratio (Σλ)² / Σλ² of the covariance's eigenvalues λ (d for an
isotropic stream, 1 for a line) and the number of dimensions that hold 90 % of the variance.

Tested in `tests/test_channel.py` against known answers (a stream that contains the token: bits = H(token);
pure noise: 0; isotropic Gaussians: participation ratio = their dimension) and on hand-built models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.causal import best_index
from scripts.analysis.model import Model
from scripts.analysis.patching import StopForward, reference_z
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.engine.api import Estimate

FIRST_POS = 2  # positions scored: 2 .. n_ctx-1 (position 1's previous token is always BOS: free bits)


# -- the probe -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """Multinomial logistic regression on the whitened stream: logits = ((x - mean) @ proj) @ W + b."""

    mean: Float[Tensor, " d_model"]
    proj: Float[Tensor, "d_model d_white"]
    W: Float[Tensor, "d_white classes"]
    b: Float[Tensor, " classes"]
    converged: bool = True  # L-BFGS stopped on its tolerance before the iteration cap

    def logits(self, x: Float[Tensor, "n d_model"]) -> Float[Tensor, "n classes"]:
        return ((x - self.mean) @ self.proj) @ self.W + self.b

    def bits(self, x: Float[Tensor, "n d_model"], y: Int[Tensor, " n"]) -> Float[Tensor, " n"]:
        """Per-example cross-entropy, in bits."""
        with torch.no_grad():
            return F.cross_entropy(self.logits(x), y, reduction="none") / math.log(2)


def whitening(x: Float[Tensor, "n d_model"], rel_floor: float = 1e-6) -> tuple[Tensor, Tensor]:
    """(mean, projection) that make x's covariance the identity on the directions whose variance exceeds
    `rel_floor` times the largest (the folded zoo's stream has none along the all-ones vector; one-hot streams
    have exact null directions). A linear change of coordinates: the probe's family is unchanged."""
    mean = x.mean(0)
    xc = x - mean
    lam, U = torch.linalg.eigh(xc.T @ xc / x.shape[0])
    keep = lam > rel_floor * lam.max()
    return mean, U[:, keep] / lam[keep].sqrt()


def fit_probe(x: Float[Tensor, "n d_model"], y: Int[Tensor, " n"], n_classes: int, *, weight_decay: float = 1e-4,
              iterations: int = 20) -> Probe:
    """Fit a probe by full-batch L-BFGS (strong-Wolfe line search) on mean cross-entropy + weight_decay/2 |W|²,
    from zero, for at most `iterations` iterations. The same inputs give the same probe. `converged` says
    whether the optimiser stopped on its tolerance (gradient or change) before the cap."""
    x = x.detach().float()
    mean, proj = whitening(x)
    z = (x - mean) @ proj
    W = torch.zeros(z.shape[1], n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=iterations, history_size=10, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-7, tolerance_change=1e-10)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(z @ W + b, y) + weight_decay / 2 * (W * W).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    used = opt.state[opt.param_groups[0]["params"][0]].get("n_iter", 0)
    return Probe(mean, proj, W.detach(), b.detach(), converged=used < iterations)


def class_map(tokens: Int[Tensor, "batch pos"], n_classes: int, d_vocab: int) -> Int[Tensor, " d_vocab"]:
    """token -> probe class: the `n_classes - 1` commonest tokens of `tokens` (ties: the lower id) get their own
    class in order of frequency, every other token the last class ("other")."""
    counts = torch.bincount(tokens.reshape(-1), minlength=d_vocab)
    order = sorted(range(d_vocab), key=lambda t: (-int(counts[t]), t))[:n_classes - 1]
    out = torch.full((d_vocab,), n_classes - 1, dtype=torch.long)
    out[torch.tensor(order, dtype=torch.long)] = torch.arange(len(order))
    return out


def entropy_bits(y: Int[Tensor, "*shape"], n_classes: int) -> float:
    """Plug-in (empirical) entropy of the labels, in bits."""
    p = torch.bincount(y.reshape(-1), minlength=n_classes).double()
    p = p[p > 0] / p.sum()
    return float(-(p * p.log2()).sum())


def targets(tokens: Int[Tensor, "batch pos"], cmap: Int[Tensor, " d_vocab"]) -> dict[str, Int[Tensor, "batch scored"]]:
    """Probe classes of the current and the previous token at the scored positions (FIRST_POS ..)."""
    return {"current": cmap[tokens[:, FIRST_POS:]], "previous": cmap[tokens[:, FIRST_POS - 1:-1]]}


def window_bits(probe: Probe, x: Float[Tensor, "batch pos d_model"], y: Int[Tensor, "batch scored"]) -> Float[np.ndarray, " batch"]:
    """Mean cross-entropy (bits) of the probe in each window, over the scored positions."""
    xs = x[:, FIRST_POS:]
    return probe.bits(xs.reshape(-1, xs.shape[-1]), y.reshape(-1)).reshape(y.shape).mean(1).double().numpy()


def probe_ce(x_train: Float[Tensor, "batch pos d_model"], y_train: Int[Tensor, "batch scored"],
             x_eval: Float[Tensor, "batch2 pos d_model"], y_eval: Int[Tensor, "batch2 scored"], n_classes: int, *,
             weight_decay: float, iterations: int) -> tuple[Probe, Float[np.ndarray, " batch2"]]:
    """Train a probe on one set of windows, return it and its per-window cross-entropy (bits) on another."""
    xs = x_train[:, FIRST_POS:]
    probe = fit_probe(xs.reshape(-1, xs.shape[-1]), y_train.reshape(-1), n_classes, weight_decay=weight_decay,
                      iterations=iterations)
    return probe, window_bits(probe, x_eval, y_eval)


def split_windows(tokens: Int[Tensor, "windows pos"], n_train: int, n_eval: int) -> tuple[Tensor, Tensor]:
    """Probe-training windows from the first half of the held-out windows, evaluation windows from the second
    (evenly spaced: different files of the corpus, so the probe is scored on text it never saw)."""
    half = tokens.shape[0] // 2
    return (tokens[np.linspace(0, half - 1, n_train).astype(int)],
            tokens[np.linspace(half, tokens.shape[0] - 1, n_eval).astype(int)])


# -- what the current token alone says about the previous one ---------------------------------------------------

@dataclass(frozen=True)
class TokenReference:
    """What the current token alone says about the previous token's class: a count table of (token, previous
    class) pairs, smoothed (add-`alpha`), scored on the evaluation windows.

    The embeddings are a function of (token, position), and in windows cut at arbitrary offsets the position
    says nothing about the previous token, so what the embeddings determine is what the token determines.
    `heldout_ce` is the table's cross-entropy per evaluation window (bits). Any predictor's held-out
    cross-entropy bounds H(previous | token) from above, so its mean is the *ceiling* on the bits any stream can
    add beyond the token: I(x; prev) - I(token; prev) <= H(prev | token). The table is counted on millions of
    pairs, so it is close to the best read of the token (its shortfall is measured in the channel note).
    """

    heldout_ce: Float[np.ndarray, " batch"]
    n: int


def token_reference(current: Int[Tensor, " n"], previous: Int[Tensor, " n"], evaluation: Int[Tensor, "batch pos"],
                    cmap: Int[Tensor, " d_vocab"], n_classes: int, *, alpha: float = 0.1) -> TokenReference:
    """Count (current token, previous-token class) pairs — `previous` are token ids, mapped by `cmap` — and
    score the table on `evaluation`'s scored positions."""
    counts = torch.zeros(len(cmap), n_classes, dtype=torch.float64)
    counts.index_put_((current.long(), cmap[previous.long()]), torch.ones(len(current), dtype=torch.float64),
                      accumulate=True)
    table = (counts + alpha) / (counts + alpha).sum(1, keepdim=True)
    y = targets(evaluation, cmap)["previous"]
    ce = -table[evaluation[:, FIRST_POS:], y].log2().mean(1)
    return TokenReference(ce.numpy(), int(len(current)))


def window_pairs(tokens: Int[Tensor, "batch pos"]) -> tuple[Tensor, Tensor]:
    """(current, previous) token ids at the scored positions of windows (for a reference counted on them)."""
    return tokens[:, FIRST_POS:].reshape(-1), tokens[:, FIRST_POS - 1:-1].reshape(-1)


# -- the stream, clean and ablated ---------------------------------------------------------------------------

def stream_points(model: Model, tokens: Int[Tensor, "batch pos"], *, ablate: Sequence[tuple[int, int]] = (),
                  mean_z: dict[int, Float[Tensor, "pos head d_head"]] | None = None, keep_z: bool = False,
                  chunk: int = 128) -> dict[str, Tensor]:
    """The stream after the embeddings (`embed`, token + position) and after each layer (`L0`, `L1`, ...:
    `blocks.{l}.hook_resid_post`), [batch, pos, d_model]; with `keep_z`, also each layer's z (`z0`, ...) and
    layer 0's attention pattern (`pattern0`). `ablate`: heads whose z is replaced by `mean_z[layer]` (the mean
    at each position over a reference batch) throughout."""
    L = model.cfg.n_layers
    out: dict[str, list[Tensor]] = {}

    def keep(name):
        def hook(x, hook):
            out.setdefault(name, []).append(x.detach().clone())
            if name == f"L{L - 1}":
                raise StopForward
            return x
        return hook

    def ablate_z(z, hook):
        layer = int(hook.name.split(".")[1])
        z = z.clone()
        for lay, h in ablate:
            if lay == layer:
                z[:, :, h] = mean_z[layer][None, :z.shape[1], h]
        return z

    hooks = [("hook_embed", keep("tok")), ("hook_pos_embed", keep("pos"))]
    for layer in range(L):
        if any(lay == layer for lay, _ in ablate):
            hooks.append((f"blocks.{layer}.attn.hook_z", ablate_z))
        if keep_z:
            hooks.append((f"blocks.{layer}.attn.hook_z", keep(f"z{layer}")))
        hooks.append((f"blocks.{layer}.hook_resid_post", keep(f"L{layer}")))
    if keep_z:
        hooks.append(("blocks.0.attn.hook_pattern", keep("pattern0")))
    with torch.no_grad(), model.hooks(fwd_hooks=hooks):
        for i in range(0, tokens.shape[0], chunk):
            try:
                model(tokens[i:i + chunk])
            except StopForward:
                pass
    res = {k: torch.cat(v) for k, v in out.items()}
    res["embed"] = res.pop("tok") + res.pop("pos")
    return res


def mean_z(model: Model, tokens: Int[Tensor, "batch pos"], layers: Sequence[int]) -> dict[int, Float[Tensor, "pos head d_head"]]:
    """Every head's mean z at each position over a reference batch (what mean ablation puts in its place)."""
    return {layer: z.mean(0) for layer, z in reference_z(model, tokens, layers).items()}


def ablated_final(model: Model, tokens: Int[Tensor, "batch pos"], heads: Sequence[tuple[int, int]],
                  means: dict[int, Tensor], *, clean: dict[str, Tensor] | None = None,
                  chunk: int = 128) -> Float[Tensor, "ablation batch pos d_model"]:
    """The final stream with each of `heads` mean-ablated in turn. A head of the last layer is read by nothing
    after it, so with `clean` (this batch's `stream_points(..., keep_z=True)`) its ablation is exact arithmetic:
    the clean final stream plus (mean z - z) W_O. Earlier heads are batched: the windows are repeated once per
    head and each copy has its own head replaced (one forward pass per chunk of the stacked batch)."""
    L = model.cfg.n_layers
    last = [hd for hd in heads if hd[0] == L - 1] if clean is not None else []
    run = [hd for hd in heads if hd not in last]
    out: dict[tuple[int, int], Tensor] = {}
    W_O = model.W_O.detach()
    for layer, h in last:
        z = clean[f"z{layer}"][:, :, h]
        out[(layer, h)] = clean[f"L{layer}"] + (means[layer][None, :z.shape[1], h] - z) @ W_O[layer, h]
    if run:
        A, B = len(run), tokens.shape[0]
        stacked = tokens.repeat(A, 1)  # row a * B + i: window i with run[a] ablated
        which = torch.arange(A).repeat_interleave(B)
        got: list[Tensor] = []
        state = {}

        def ablate_z(z, hook):
            layer = int(hook.name.split(".")[1])
            z = z.clone()
            for a, (lay, h) in enumerate(run):
                if lay == layer:
                    z[state["which"] == a, :, h] = means[layer][None, :z.shape[1], h]
            return z

        def keep(x, hook):
            got.append(x.detach().clone())
            raise StopForward

        hooks = [(f"blocks.{layer}.attn.hook_z", ablate_z) for layer in sorted({lay for lay, _ in run})]
        hooks.append((f"blocks.{L - 1}.hook_resid_post", keep))
        with torch.no_grad(), model.hooks(fwd_hooks=hooks):
            for i in range(0, stacked.shape[0], chunk):
                state["which"] = which[i:i + chunk]
                try:
                    model(stacked[i:i + chunk])
                except StopForward:
                    pass
        for a, x in enumerate(torch.cat(got).reshape(A, B, *got[0].shape[1:])):
            out[run[a]] = x
    return torch.stack([out[hd] for hd in heads])


def previous_token_scores(pattern: Float[Tensor, "batch head q k"]) -> Float[Tensor, " head"]:
    """Mean attention from each scored position to the one before it, per head."""
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1)[..., FIRST_POS - 1:].mean((0, -1))


def cumulative_components(model: Model, s: dict[str, Tensor]) -> list[tuple[str, Float[Tensor, "batch pos d_model"]]]:
    """The stream after the embeddings and after each head is added, in order (L0H0, L0H1, ..., then the next
    layer): labels and streams. Layer l's output bias is added with its first head (a constant shift: it moves
    no covariance). The last equals the final stream (checked in the tests)."""
    W_O, b_O = model.W_O.detach(), model.b_O.detach()
    x = s["embed"]
    out = [("embed", x)]
    for layer in range(model.cfg.n_layers):
        if layer > 0:
            x = s[f"L{layer - 1}"]
        x = x + b_O[layer]
        for h in range(model.cfg.n_heads):
            x = x + s[f"z{layer}"][:, :, h] @ W_O[layer, h]
            out.append((f"L{layer}H{h}", x))
    return out


def previous_bits(model: Model, train: Int[Tensor, "batch pos"], evaluation: Int[Tensor, "batch2 pos"], *,
                  classes: int, weight_decay: float, iterations: int, points: Sequence[str] = ("embed", "L0"),
                  ablate: Sequence[tuple[int, int]] = ()) -> dict[str, float]:
    """Bits about the previous token a probe reads at each of `points` (H(target) - its mean cross-entropy on
    `evaluation`), with `ablate`'s heads mean-ablated together (mean z over `train`) and the probe trained on
    the stream it reads. For checking how the numbers move with the probe's data and fit, and what a group of
    heads carries together; the figure's verdicts use `channel_measures`."""
    cmap = class_map(train[:, FIRST_POS:], classes, model.cfg.d_vocab)
    n_classes = int(cmap.max()) + 1
    y_tr, y_ev = targets(train, cmap)["previous"], targets(evaluation, cmap)["previous"]
    means = mean_z(model, train, sorted({layer for layer, _ in ablate})) if ablate else None
    s_tr = stream_points(model, train, ablate=ablate, mean_z=means)
    s_ev = stream_points(model, evaluation, ablate=ablate, mean_z=means)
    H = entropy_bits(y_ev, n_classes)
    return {p: float(H - probe_ce(s_tr[p], y_tr, s_ev[p], y_ev, n_classes, weight_decay=weight_decay,
                                  iterations=iterations)[1].mean()) for p in points}


# -- effective dimensionality --------------------------------------------------------------------------------

def covariance_eigenvalues(x: Float[Tensor, "n d"]) -> Float[np.ndarray, " d"]:
    """Eigenvalues of x's covariance, largest first (float64)."""
    x = x.double()
    xc = x - x.mean(0)
    return torch.linalg.eigvalsh(xc.T @ xc / x.shape[0]).flip(0).clamp_min(0).numpy()


def participation_ratio(x: Float[Tensor, "n d"]) -> float:
    """(Σλ)² / Σλ² of the covariance's eigenvalues: d for an isotropic cloud, 1 for a line."""
    lam = covariance_eigenvalues(x)
    return float(lam.sum() ** 2 / (lam ** 2).sum())


def dims_for_variance(x: Float[Tensor, "n d"], fraction: float = 0.9) -> int:
    """The fewest principal directions that hold `fraction` of the variance."""
    lam = covariance_eigenvalues(x)
    return int(np.searchsorted(np.cumsum(lam) / lam.sum(), fraction - 1e-12) + 1)


def _window_moments(x: Float[Tensor, "batch pos d"]) -> tuple[np.ndarray, np.ndarray]:
    """Per window: the trace of its centred second moment and the Gram matrix of those moments, centred on the
    mean of all windows (a resample's own mean would move it by O(1/n))."""
    x = x.double()
    xc = x - x.reshape(-1, x.shape[-1]).mean(0)
    m = torch.einsum("bpi,bpj->bij", xc, xc).reshape(x.shape[0], -1)  # [batch, d*d]
    return torch.einsum("bii->b", m.reshape(x.shape[0], x.shape[-1], -1)).numpy(), (m @ m.T).numpy()


def pr_ratio(a: Float[Tensor, "batch pos d"], b: Float[Tensor, "batch pos d"], *, unit: str) -> Estimate:
    """Participation ratio of b over that of a (same windows), bootstrapped over windows. With M the summed
    second moments of the resampled windows, PR = tr(M)² / |M|_F², and |M|_F² = cᵀ G c for window counts c and
    the Gram matrix G of per-window moments: each resample costs an n x n product, not an eigendecomposition."""
    (ta, Ga), (tb, Gb) = _window_moments(a[:, FIRST_POS:]), _window_moments(b[:, FIRST_POS:])

    def ratio(idx):
        i = idx.astype(int)
        return (tb[i].sum() ** 2 / Gb[np.ix_(i, i)].sum()) / (ta[i].sum() ** 2 / Ga[np.ix_(i, i)].sum())

    return bootstrap_statistic(ratio, np.arange(len(ta)), unit=unit)


# -- the verdicts' statistics for one model --------------------------------------------------------------------

def channel_measures(model: Model, train: Int[Tensor, "batch pos"], evaluation: Int[Tensor, "batch2 pos"], *,
                     reference_text: Int[Tensor, " n"] | None = None, classes: int = 128,
                     weight_decay: float = 1e-3, iterations: int = 200, unit: str = "evaluation windows",
                     full: bool = True) -> dict:
    """Everything the channel figure and its verdicts need for one model and one probe setting.

    Probes for the current and the previous token are trained on `train` and scored on `evaluation` at every
    stream point, fitted until L-BFGS stops on its tolerance (`converged` says whether every probe did). The
    previous-token head (highest attention to the previous position in layer 0 on `evaluation`) is
    mean-ablated (mean z over `train` at each position) and the final stream scored with a probe retrained on
    the ablated stream. `reference_text` (token ids; default: the scored pairs of `train`) is counted into the
    `TokenReference`: what the current token alone says about the previous one.

    With `full` (the figure's main setting) also: the bits every head's ablation costs with the clean final
    probe kept fixed (`cost_fixed[target][(l, h)]`), dimensionality per component, and layers-add-dimensions.
    Returns per-window cross-entropies `ce[target][point]`, entropies `H`, `reference`, `cost_retrained`, and
    `est`: the Estimates of layer0-writes-prev, prev-head-carries, current-token-kept (and
    layers-add-dimensions). Kept as one function over 60 lines: every estimate shares the streams and
    probes fitted here, and each step is a call to a tested helper above."""
    L, H = model.cfg.n_layers, model.cfg.n_heads
    cmap = class_map(train[:, FIRST_POS:], classes, model.cfg.d_vocab)
    n_classes = int(cmap.max()) + 1
    y_tr, y_ev = targets(train, cmap), targets(evaluation, cmap)
    s_tr, s_ev = stream_points(model, train, keep_z=True), stream_points(model, evaluation, keep_z=True)
    points = ["embed"] + [f"L{layer}" for layer in range(L)]
    final = points[-1]
    fit = dict(weight_decay=weight_decay, iterations=iterations)
    wanted = {"current": points if full else ["embed", final], "previous": points}
    probes, ce = {}, {}
    for t, pts in wanted.items():
        ce[t] = {}
        for p in pts:
            probes[(t, p)], ce[t][p] = probe_ce(s_tr[p], y_tr[t], s_ev[p], y_ev[t], n_classes, **fit)
    Hs = {t: entropy_bits(y_ev[t], n_classes) for t in y_ev}
    cur, prev_tok = (reference_text[1:], reference_text[:-1]) if reference_text is not None else window_pairs(train)
    ref = token_reference(cur, prev_tok, evaluation, cmap, n_classes)

    prev_scores = previous_token_scores(s_ev["pattern0"])
    prev = (0, best_index(prev_scores))
    heads = [(layer, h) for layer in range(L) for h in range(H)] if full else [prev]
    means = mean_z(model, train, list(range(L)))
    abl = ablated_final(model, evaluation, heads, means, clean=s_ev)
    cost_fixed = {t: {hd: window_bits(probes[(t, final)], abl[a], y_ev[t]) - ce[t][final] for a, hd in enumerate(heads)}
                  for t in ("current", "previous")}
    abl_tr = ablated_final(model, train, [prev], means, clean=s_tr)[0]
    retrained, ce_prev_abl = probe_ce(abl_tr, y_tr["previous"], abl[heads.index(prev)], y_ev["previous"], n_classes, **fit)
    cost_retrained = ce_prev_abl - ce["previous"][final]

    # How much better a probe of the stream after layer 0 predicts the previous token than the current token's
    # count table does, on the same windows: an estimate (not a bound) of what layer 0 adds beyond what the
    # embeddings determine. It errs low by the probe's shortfall and high by the table's. Its ceiling is
    # H(previous | token), which the table's cross-entropy bounds from above.
    added = ref.heldout_ce - ce["previous"]["L0"]
    gained = ce["previous"]["embed"] - ce["previous"][final]
    bits_cur = {p: Hs["current"] - ce["current"][p] for p in ("embed", final)}
    ratio = lambda a, b: float(np.mean(a) / np.mean(b))
    est = {
        "layer0-writes-prev": replace(bootstrap_mean(added, unit=unit), ceiling=float(ref.heldout_ce.mean())),
        "prev-head-carries": bootstrap_statistic(ratio, cost_retrained, gained, unit=unit),
        "current-token-kept": bootstrap_statistic(ratio, bits_cur[final], bits_cur["embed"], unit=unit),
    }
    out = {"points": points, "ce": ce, "H": Hs, "n_classes": n_classes, "prev": prev, "reference": ref,
           "prev_scores": prev_scores.numpy(), "heads": heads, "cost_fixed": cost_fixed,
           "cost_retrained": cost_retrained, "est": est,
           "converged": all(pr.converged for pr in probes.values()) and retrained.converged,
           "coverage": float((y_ev["current"] < n_classes - 1).double().mean())}
    if full:
        comps = cumulative_components(model, s_ev)
        out["dims"] = [(label, participation_ratio(x[:, FIRST_POS:].reshape(-1, x.shape[-1])),
                        dims_for_variance(x[:, FIRST_POS:].reshape(-1, x.shape[-1]))) for label, x in comps]
        est["layers-add-dimensions"] = pr_ratio(s_ev["embed"], s_ev[final], unit=unit)
    return out
