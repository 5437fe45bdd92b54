"""The grokking note's measurements: training phases from the logged measures, and the statistics its
verdicts test (Nanda et al., 2023). Everything takes a training log (metrics.json rows), logits or
activations as arguments.

**Phases** (fixed before the first model was trained; each is the first logged epoch at which its condition
holds, so it is known to lie in (that epoch − the log interval, that epoch]):
- *memorised*: training accuracy reaches 100 %;
- *generalising* (the end of circuit formation, where the paper's clean-up begins): after that, test accuracy
  reaches 50 % — more held-out pairs are right than wrong, so the generalising circuit, not memory, decides;
- *cleaned up*: after that, test accuracy is 100 % and the sum of squared weights falls by less than 2 %
  over the next 1,000 epochs.

**Statistics** whose intervals come from that resolution (`bounded`): a delay between two events is known
to within one log interval at each end; nothing else about a single run is uncertain. Across seeds, the
verdict rule is applied to each seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from scripts.analysis.fourier import fourier_basis, n_frequencies
from scripts.engine.api import Estimate

CLEANED_FALL = 0.02  # the squared weights fall by less than this over the next 1,000 epochs


@dataclass(frozen=True)
class Event:
    """An event seen at a logged epoch: it happened in (low, epoch]."""

    epoch: int
    low: int


@dataclass(frozen=True)
class Phases:
    memorised: Event
    generalising: Event
    cleaned: Event | None  # None if training stopped before the clean-up was over


def _interval(log: list[dict]) -> int:
    return int(log[1]["epoch"] - log[0]["epoch"])


def first_event(log: list[dict], condition, after: int = -1) -> Event | None:
    """The first logged row with epoch > `after` that satisfies `condition(row, index)`."""
    step = _interval(log)
    for i, row in enumerate(log):
        if row["epoch"] > after and condition(row, i):
            return Event(int(row["epoch"]), int(row["epoch"]) - step)
    return None


def phases(log: list[dict]) -> Phases:
    step = _interval(log)
    ahead = 1000 // step

    def cleaned(row, i):
        if row["test_acc"] < 1.0 or i + ahead >= len(log):
            return False
        return (row["weight_sq"] - log[i + ahead]["weight_sq"]) / row["weight_sq"] < CLEANED_FALL

    memorised = first_event(log, lambda r, i: r["train_acc"] == 1.0)
    if memorised is None:
        raise ValueError("the training log never reaches 100 % training accuracy")
    generalising = first_event(log, lambda r, i: r["test_acc"] >= 0.5, after=memorised.epoch)
    if generalising is None:
        raise ValueError("the training log never reaches 50 % test accuracy after memorising")
    return Phases(memorised, generalising, first_event(log, cleaned, after=generalising.epoch))


def bounded(value: float | int, low: float | int, high: float | int, *, step: int) -> Estimate:
    return Estimate(float(value), float(low), float(high), 1, "training run",
                    f"bounds from the log interval ({step} epochs): each event lies within one interval", covers="bound")


def at_boundaries(value: float) -> Estimate:
    """A measure read at the logged phase boundaries themselves: one run, no sampling, no interval."""
    return Estimate(float(value), float(value), float(value), 1, "training run",
                    "exact, read at the logged epochs of the phase boundaries (one run: no sampling)", covers="exact")


def accuracy_within_budget(log: list[dict], budget: int, n: int) -> Estimate:
    """Test accuracy at the epoch budget fixed before the first run (or at the run's last logged epoch if it
    stopped sooner, by the settled rule: then its accuracy had been 100 % for 3,000 epochs). A run that has
    not generalised by then fails the claim: raising the cap after seeing such a run is what this prevents.
    Exact: all held-out pairs of one run, no sampling."""
    row = max((r for r in log if r["epoch"] <= budget), key=lambda r: r["epoch"])
    return Estimate(float(row["test_acc"]), float(row["test_acc"]), float(row["test_acc"]), n, "held-out pairs (all)",
                    f"exact: test accuracy over every held-out pair at epoch {row['epoch']:,} (one run, no sampling)",
                    covers="exact")


def delay_ratio(first: Event, second: Event, step: int) -> Estimate:
    """second / first, with the bounds the log resolution allows."""
    return bounded(second.epoch / first.epoch, max(second.low, 1) / first.epoch,
                   second.epoch / max(first.low, 1), step=step)


def lead(leader: Event, follower: Event, step: int) -> Estimate:
    """How many epochs `leader` comes before `follower` (positive: it leads)."""
    return bounded(follower.epoch - leader.epoch, follower.low - leader.epoch, follower.epoch - leader.low, step=step)


def crossing(log: list[dict], key: str, threshold: float, after: int = -1) -> Event | None:
    """First logged epoch (after `after`) at which `key` is below `threshold`."""
    return first_event(log, lambda r, i: r[key] < threshold, after=after)


def weight_fall_rate(log: list[dict], start: int, end: int) -> float:
    """Fractional fall of the squared weights per 1,000 epochs between two logged epochs."""
    at = {r["epoch"]: r["weight_sq"] for r in log}
    return (at[start] - at[end]) / at[start] / ((end - start) / 1000)


def top_share(spectrum: Float[np.ndarray, " n_freq"], k: int) -> float:
    """Share of the spectrum carried by its k largest frequencies."""
    return float(np.sort(spectrum)[::-1][:k].sum())


def cosine_directions(p: int, freqs: list[int]) -> Float[Tensor, "k p p p"]:
    """cos(w(a+b−c)) and sin(w(a+b−c)) for each frequency, as orthonormal functions of (a, b, c)."""
    x = torch.arange(p, dtype=torch.float64)
    phase = x[:, None, None] + x[None, :, None] - x[None, None, :]
    if not freqs:
        return torch.zeros(0, p, p, p, dtype=torch.float64)
    dirs = []
    for k in freqs:
        w = 2 * math.pi * k / p
        dirs += [torch.cos(w * phase), torch.sin(w * phase)]
    d = torch.stack(dirs)
    return d / d.flatten(1).norm(dim=1)[:, None, None, None]


def algorithm_fit(logits: Float[Tensor, "p p c"], freqs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per input pair (a, b): the squared norm of its logits (centred over c: a constant per input does not
    change the softmax) and of the part the fitted sum of cos/sin(w(a+b−c)) terms explains. Their ratio of
    sums is the fraction of variance explained; per pair, they bootstrap."""
    p = logits.shape[0]
    centred = logits.double() - logits.double().mean(-1, keepdim=True)
    dirs = cosine_directions(p, freqs)
    fit = torch.einsum("kabc,k->abc", dirs, torch.einsum("kabc,abc->k", dirs, centred))
    return (centred ** 2).sum(-1).flatten().numpy(), (fit ** 2).sum(-1).flatten().numpy()


def neuron_frequencies(acts: Float[Tensor, "p p n"]) -> tuple[np.ndarray, np.ndarray]:
    """For each neuron (its activation as a function of (a, b)): the frequency k whose terms — constant or
    frequency k in each of a and b, the constant alone excluded — explain most of its variance, and that
    fraction. Neurons that never vary get frequency 0 and fraction 0."""
    p, _, n = acts.shape
    B = fourier_basis(p)
    coef = torch.einsum("ia,abn,jb->ijn", B, acts.double(), B)  # 2-D Fourier coefficients
    energy = (coef ** 2)
    total = energy.sum((0, 1)) - energy[0, 0]
    fractions = []
    for k in range(1, n_frequencies(p) + 1):
        idx = torch.tensor([0, 2 * k - 1, 2 * k])
        fractions.append((energy[idx][:, idx].sum((0, 1)) - energy[0, 0]) / total.clamp_min(1e-30))
    frac = torch.stack(fractions)  # [n_freq, n]
    best = frac.argmax(0) + 1
    share = frac.max(0).values
    dead = total <= 1e-12
    best[dead], share[dead] = 0, 0.0
    return best.numpy(), share.numpy()


# -- the verdicts' statistics, one function per group, shared by the figures and the can-fail tests ---------

TOP = 6  # "a handful": the share of the six largest of the 56 frequencies
NEURON_SHARE = 0.5  # a neuron is "explained by one frequency" if that frequency carries half its variance


def timing_estimates(log: list[dict], p: int) -> dict[str, Estimate]:
    """The training-dynamics statistics of one run, from its log (rows of metrics.json):
    `delayed` (generalising epoch / memorised epoch), `restricted-leads` (epochs by which restricted loss
    falls below ln(p)/2 before test loss does), `excluded-rises` (log10 of excluded loss at the end of
    circuit formation over its value at the end of memorisation) and `cleanup-shrinks` (the squared
    weights' fractional fall per 1,000 epochs in clean-up over that in circuit formation)."""
    ph, step = phases(log), _interval(log)
    half_chance = math.log(p) / 2
    r_cross, t_cross = crossing(log, "restricted_loss", half_chance), crossing(log, "test_loss", half_chance)
    if r_cross is None or t_cross is None:
        raise ValueError("restricted or test loss never falls below half the chance loss")
    at = {r["epoch"]: r for r in log}
    rise = math.log10(at[ph.generalising.epoch]["excluded_loss"] / at[ph.memorised.epoch]["excluded_loss"])
    # a clean-up still under way when training stopped is measured up to the last logged epoch
    end = ph.cleaned.epoch if ph.cleaned is not None else int(log[-1]["epoch"])
    ratio = (weight_fall_rate(log, ph.generalising.epoch, end)
             / weight_fall_rate(log, ph.memorised.epoch, ph.generalising.epoch))
    return {"delayed": delay_ratio(ph.memorised, ph.generalising, step), "restricted-leads": lead(r_cross, t_cross, step),
            "excluded-rises": at_boundaries(rise), "cleanup-shrinks": at_boundaries(ratio)}


@dataclass
class AlgorithmReading:
    """What the Fourier reading of one model finds, and the three statistics the verdicts test."""

    spectrum: np.ndarray
    best: np.ndarray  # each active neuron's best frequency
    share: np.ndarray  # and the fraction of its variance that frequency explains
    estimates: dict[str, Estimate]


def algorithm_estimates(W_E: Float[Tensor, "p d_model"], logits: Float[Tensor, "p p c"],
                        acts: Float[Tensor, "p p d_mlp"], keys: list[int]) -> AlgorithmReading:
    """`few-frequencies` (share of the embedding in its TOP largest frequencies), `logits-are-cosines`
    (fraction of the logits' variance over c explained by cos/sin(w(a+b−c)) at `keys`, over every input
    pair) and `neurons-cluster` (fraction of active neurons at least NEURON_SHARE explained by one key
    frequency): all exact, since each is computed over a whole population of one run."""
    from scripts.analysis.fourier import embedding_spectrum
    from scripts.analysis.stats import exact

    spectrum = embedding_spectrum(W_E)
    total, explained = algorithm_fit(logits, keys)
    best, share = neuron_frequencies(acts)
    alive = share > 0
    good = np.isin(best, keys) & (share >= NEURON_SHARE)
    return AlgorithmReading(spectrum, best[alive], share[alive], {
        "few-frequencies": exact(top_share(spectrum, TOP), n=len(spectrum), unit="frequencies"),
        # Every input pair and every active neuron: populations of one trained model, not samples, so there is
        # nothing to resample; the variation that matters is between seeds.
        "logits-are-cosines": exact(float(explained.sum() / total.sum()), n=len(total), unit="input pairs (a, b), all",
                                    why="exact: every input pair of one run (no sampling)"),
        "neurons-cluster": exact(float(good[alive].mean()), n=int(alive.sum()), unit="active neurons, all",
                                 why="exact: every active neuron of one run (no sampling)"),
    })


def phase_spans(ph) -> list[tuple[float, float]]:
    """(start, end) epochs of the three phases; the log interval's uncertainty is drawn as the edges."""
    end = ph.cleaned.epoch if ph.cleaned else np.nan
    return [(0, ph.memorised.epoch), (ph.memorised.epoch, ph.generalising.epoch), (ph.generalising.epoch, end)]
