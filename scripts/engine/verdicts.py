"""Verdicts: a claim, the statistic that tests it, its interval (labelled by what it covers) and n, a rule fixed
before looking.

A figure's declaration states each claim its computation settles, and the rule that will decide it:

```yaml
  verdicts:
    two-layers-use-context:
      claim: A two-layer model improves with context far more than a one-layer model.
      cite: "[@olsson2022context, § Argument 1]"
      statistic: ICL score, 2-layer minus 1-layer (nats; negative = the 2-layer model gains more)
      rule: "< 0"
```

The script returns an `api.Estimate` for each key — the statistic's value, a confidence interval, n and how
the interval was made (bootstrap over windows, a null distribution, exact) — once per training seed where
the claim is about a trained model. This module turns the two into the published record:

- **The rule** is a comparison with a threshold, `"> t"` or `"< t"`. With `> t` the claim is *supported*
  when the whole interval lies above t, *contradicted* when it lies wholly below, and *inconclusive* when
  it straddles t (`< t` mirrors this). Every rule can produce every outcome; tests feed it data where the
  claim is false and watch it flip (tests/test_verdicts.py and the tests of each analysis).
- **Seeds.** A claim about a trained model is a claim about its training recipe, so with three or more seeds
  the seed is the unit: the headline is the mean over seeds with a t-interval over seeds, and its outcome is
  the verdict's; each seed's own estimate and outcome are details ("holds in 4 of 5 seeds"). With one or two
  seeds, seeds that disagree make the verdict *inconclusive*.
- **What an interval covers** is said beside it (`Estimate.covers`): sampled units, seeds, a null, bounds, or
  nothing at all (exact); an exact number is never shown as a "95 % interval".
- **Precision.** Numbers are printed with as many decimals as the interval supports: the half-width's
  leading digit is the last one shown (0.4093 ± 0.03 → "0.41"). Float noise between machines is orders of
  magnitude below that, so it does not change published text. Records hold only these strings, never raw
  floats, so they compare exactly across machines.

Why not scipy.stats.bootstrap for the outcome logic: the intervals are computed by the analysis functions
(`scripts/analysis/stats.py`), which may well use it; what is ours is the rule, the outcome and the record.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from scripts.engine.errors import EngineError

Outcome = Literal["supported", "contradicted", "inconclusive"]
_SPEC_KEYS = {"claim", "cite", "statistic", "rule", "variants"}
_RULE = re.compile(r"^\s*([<>])\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class VerdictError(EngineError):
    """A verdict is declared or returned wrongly; the message says what to fix."""


@dataclass(frozen=True)
class Rule:
    """Supported when the whole interval lies on the claimed side of `threshold`."""

    op: Literal["<", ">"]
    threshold: float

    @classmethod
    def parse(cls, text: str) -> Rule:
        m = _RULE.match(str(text))
        if not m:
            raise VerdictError(f'rule {text!r} is not of the form "> 0.4" or "< 1e-4"')
        return cls(m.group(1), float(m.group(2)))  # type: ignore[arg-type]

    def outcome(self, low: float, high: float) -> Outcome:
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise VerdictError(f"interval [{low}, {high}] is not a finite interval")
        above, below = low > self.threshold, high < self.threshold
        if self.op == ">":
            return "supported" if above else "contradicted" if below else "inconclusive"
        return "supported" if below else "contradicted" if above else "inconclusive"

    def describe(self) -> str:
        side, other = ("above", "below") if self.op == ">" else ("below", "above")
        t = f"{self.threshold:g}"
        return f"supported if the interval lies {side} {t}, contradicted if it lies {other} it"

    def __str__(self) -> str:
        return f"{self.op} {self.threshold:g}"  # as the declaration writes it


def parse_specs(raw: object) -> dict[str, dict[str, str]]:
    """Validate the `verdicts:` mapping of a declaration (None: no verdicts)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise VerdictError("'verdicts' must map verdict keys to {claim, cite, statistic, rule}")
    specs = {}
    for key, spec in raw.items():
        if not isinstance(key, str) or not re.match(r"^[a-z0-9][a-z0-9-]*$", key):
            raise VerdictError(f"verdict key {key!r}: use lower-case letters, digits and dashes")
        if not isinstance(spec, Mapping):
            raise VerdictError(f"verdict {key!r}: expected keys {sorted(_SPEC_KEYS)}")
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise VerdictError(f"verdict {key!r}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_SPEC_KEYS)}")
        missing = [k for k in ("claim", "statistic", "rule") if not spec.get(k)]
        if missing:
            raise VerdictError(f"verdict {key!r}: missing {', '.join(missing)}")
        Rule.parse(spec["rule"])
        specs[key] = {k: str(v).strip() for k, v in spec.items() if k != "variants"}
        if "variants" in spec:
            specs[key]["variants"] = _variants(key, spec["variants"])
    return specs


def _variants(key: str, raw: object) -> list[str]:
    """The method choices a reviewer would try (`variants: [mean ablation, zero ablation, resample ablation]`);
    the first is the one the headline shows."""
    if (not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(v, str) and v.strip() for v in raw)
            or len(set(raw)) != len(raw)):
        raise VerdictError(f"verdict {key!r}: 'variants' must list two or more different method names, e.g. "
                           "[mean ablation, zero ablation, resample ablation]")
    return [v.strip() for v in raw]


# -- numbers at the precision their uncertainty supports ----------------------------------------------------

def decimals_for(low: float, high: float) -> int | None:
    """Decimals that show the interval's half-width to its leading digit (negative: rounded to tens, hundreds…
    when the half-width is that wide); None for a zero-width interval."""
    half = (high - low) / 2
    if not half > 0:
        return None
    return -math.floor(math.log10(half))


def format_number(x: float, decimals: int | None = None) -> str:
    """`decimals` fixed digits (thousands separated; negative: rounded to tens, hundreds…); without it, two
    significant digits."""
    if decimals is None:
        if x == 0:
            return "0"
        if abs(x) >= 1e4 or abs(x) < 1e-3:
            return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e")
        decimals = max(0, 1 - math.floor(math.log10(abs(x))))
    s = f"{round(x, decimals):,.0f}" if decimals < 0 else f"{x:,.{decimals}f}"
    return "0" if re.fullmatch(r"-?0(\.0*)?", s) else s  # no "-0.00"


def format_interval(value: float, low: float, high: float, *, coarse: bool = True,
                    decimals: int | None = None) -> tuple[str, str, str]:
    """The three numbers at the precision the interval supports (or `decimals`); `coarse=False` (bounds, whose
    ends are exact numbers such as logged epochs) never rounds to tens or coarser."""
    d = decimals_for(low, high) if decimals is None else decimals
    if d is not None and not coarse:
        d = max(0, d)
    return format_number(value, d), format_number(low, d), format_number(high, d)


def format_against(threshold: float, value: float, low: float, high: float, *,
                   coarse: bool = True) -> tuple[str, str, str]:
    """`format_interval`, with as many more decimals (up to three) as it takes for each printed end — or, for an
    exact number, the number itself — to lie on the same side of the rule's threshold as the number it prints:
    a supported "> 3" is never shown as "10 [0, 20]", an inconclusive "< 0" as "-0.1 [-0.2, 0]", nor an exact
    0.797 against "> 0.8" as "0.80"."""
    side = lambda x: (x > threshold) - (x < threshold)
    exact = decimals_for(low, high) is None
    d = 1 - math.floor(math.log10(abs(value))) if exact and value else decimals_for(low, high)
    if d is not None and (exact or not coarse):
        d = max(0, d)
    for extra in range(4):
        out = format_interval(value, low, high, coarse=coarse, decimals=None if d is None else d + extra)
        checked = ((out[0], value),) if exact else zip(out[1:], (low, high))
        if d is None or all(side(float(t.replace(",", ""))) == side(x) for t, x in checked):
            break
    return out


# -- what an interval covers ---------------------------------------------------------------------------------

INTERVAL_KINDS = {
    "exact": "exact: no sampling, so no interval",
    "bound": "bounds, not a confidence interval",
    "seeds": "{level} interval over training seeds",
    "null": "{level} interval of a z-score against a null distribution",
    "sampled": "{level} interval over the sampled units",
}


def level_text(level: float) -> str:
    """0.95 -> '95 %', 0.99875 -> '99.9 %' (a Bonferroni level is never rounded to 100 %)."""
    pct = 100 * float(level)
    return f"{pct:.0f} %" if abs(pct - round(pct)) < 1e-9 else f"{min(pct, 99.9):.1f} %"


def interval_text(kind: str, level: float) -> str:
    return INTERVAL_KINDS[kind].format(level=level_text(level))


def interval_kind(value: float, low: float, high: float, method: str, covers: str = "") -> str:
    """What an Estimate's interval covers: its `covers` field when set, else read from how it was made (its
    `method`). An exact quantity or a bound is never shown as a "95 % interval", and a bootstrap says what it
    resampled."""
    if covers:
        if covers not in INTERVAL_KINDS:
            raise VerdictError(f"Estimate.covers {covers!r} is not one of {sorted(INTERVAL_KINDS)}")
        if low == value == high and covers != "bound":
            return "exact"
        return covers
    m = method.lower()
    if m.startswith("exact") or low == value == high:
        return "exact"
    if "bound" in m:
        return "bound"
    if "bootstrap over training seeds" in m:
        return "seeds"
    if "null" in m or "z-score" in m:
        return "null"
    return "sampled"


def shown(kind: str, estimate: str, low: str, high: str) -> str:
    """The numbers as a reader sees them: '0.57 [0.56, 0.58]', '4.8 (exact)', '88 (between 88 and 176)'."""
    if kind == "exact" or low == high == estimate:
        return f"{estimate} (exact)"
    if kind == "bound":
        return f"{estimate} (between {low} and {high})"
    return f"{estimate} [{low}, {high}]"


# -- the published record ------------------------------------------------------------------------------------

def record(key: str, spec: Mapping[str, str], estimates: Mapping[str, object]) -> dict:
    """The JSON record of one verdict from its declaration and the script's estimates (seed label -> Estimate).

    Every seed is decided by the same rule. With three or more seeds the claim is about the training recipe,
    so the seed is the unit: the headline is the mean over seeds with a t-interval over seeds, and *its*
    outcome is the verdict's (each seed's own interval, over its test data, is a detail). With one or two
    seeds the headline is the first seed's (the model the figures show) and seeds that disagree make the
    verdict inconclusive.
    """
    if not estimates:
        raise VerdictError(f"verdict {key!r}: the script returned no estimate")
    rule = Rule.parse(spec["rule"])
    seeds = []
    for label, est in estimates.items():
        value, low, high = (float(est.value), float(est.low), float(est.high))  # type: ignore[attr-defined]
        if not low <= value <= high:
            raise VerdictError(f"verdict {key!r} ({label}): estimate {value} lies outside its interval [{low}, {high}]")
        ceiling = getattr(est, "ceiling", None)
        if ceiling is not None and high > ceiling:
            raise VerdictError(f"verdict {key!r} ({label}): the interval [{low:.4g}, {high:.4g}] reaches above the "
                               f"quantity's own ceiling {ceiling:.4g}; an estimate above what is possible is a flaw "
                               "of the method (an underfit bound, a difference of bounds), not a result")
        kind = interval_kind(value, low, high, str(est.method), getattr(est, "covers", ""))  # type: ignore[attr-defined]
        v, lo, hi = format_against(rule.threshold, value, low, high, coarse=kind != "bound")
        seeds.append({"label": str(label), "estimate": v, "low": lo, "high": hi, "n": int(est.n),  # type: ignore[attr-defined]
                      "outcome": rule.outcome(low, high), "shown": shown(kind, v, lo, hi)
                      + (f" (ceiling {format_number(ceiling)})" if ceiling is not None else "")})
    recipe = across_seeds(rule, [float(e.value) for e in estimates.values()],  # type: ignore[attr-defined]
                          [(float(e.high) - float(e.low)) / 2 for e in estimates.values()])  # type: ignore[attr-defined]
    head = next(iter(estimates.values()))
    kind = interval_kind(float(head.value), float(head.low), float(head.high), str(head.method),  # type: ignore[attr-defined]
                         getattr(head, "covers", ""))
    outcomes = {s["outcome"] for s in seeds}
    holds = sum(s["outcome"] == "supported" for s in seeds)
    out = {
        "key": key, "claim": spec["claim"], "cite": spec.get("cite", ""), "statistic": spec["statistic"],
        "rule": str(rule), "rule_text": rule.describe(),
        "level": level_text(float(head.level)),  # type: ignore[attr-defined]
        "interval": kind, "interval_text": interval_text(kind, float(head.level)), "shown": seeds[0]["shown"],  # type: ignore[attr-defined]
        "unit": str(head.unit), "method": str(head.method),  # type: ignore[attr-defined]
        "estimate": seeds[0]["estimate"], "low": seeds[0]["low"], "high": seeds[0]["high"], "n": seeds[0]["n"],
        "outcome": outcomes.pop() if len(outcomes) == 1 else "inconclusive",
        "holds": f"{holds} of {len(seeds)}", "seeds": seeds,
    }
    if recipe:
        out.update({"recipe": recipe, "shown": recipe["shown"], "estimate": recipe["estimate"], "low": recipe["low"],
                    "high": recipe["high"], "n": recipe["seeds"], "unit": "training seeds",
                    "interval": "seeds", "interval_text": recipe["interval_text"], "outcome": recipe["outcome"],
                    "method": f"{recipe['interval_text']}; each seed's own interval: {head.method} "  # type: ignore[attr-defined]
                              f"(n = {seeds[0]['n']:,} {head.unit})"})  # type: ignore[attr-defined]
    return out


def across_seeds(rule: Rule, values: list[float], halves: list[float] | None = None, level: float = 0.95) -> dict | None:
    """The recipe's estimate: the mean over training seeds, with an interval for a claim about the training
    recipe. None below three seeds, where an interval over seeds says nothing.

    Two sources of variation: between training runs, a t-interval over the seeds' estimates; and the test data,
    which every seed is usually scored on *in common* (the same windows, the same sequences), so the seeds'
    spread does not contain its error. The interval's half-width is the two combined in quadrature: the
    t-interval's and the mean of the seeds' own half-widths (`halves`, each over its test data). That
    over-counts the part of the test error that differs between seeds, which the spread already holds: the
    interval errs wide, never narrow."""
    k = len(values)
    if k < 3:
        return None
    from scipy.stats import t

    mean = math.fsum(values) / k
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (k - 1))
    between = float(t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
    within = math.fsum(halves) / k if halves else 0.0
    half = math.hypot(between, within)
    v, lo, hi = format_against(rule.threshold, mean, mean - half, mean + half)
    text = (f"{level_text(level)} interval over {k} training seeds (t over seeds" +
            (", combined with the seeds' own intervals over their test data)" if within > 0 else ")"))
    return {"shown": f"{v} [{lo}, {hi}] over {k} seeds" if half > 0 else f"{format_number(mean)} in each of {k} seeds",
            "estimate": v, "low": lo, "high": hi, "seeds": k, "outcome": rule.outcome(mean - half, mean + half),
            "interval_text": text if half > 0 else f"the same value in all {k} training seeds"}


def records(job_id: str, specs: Mapping[str, Mapping[str, str]], returned: Mapping[str, object]) -> dict[str, dict]:
    """Every declared verdict's record; a declared verdict the script did not return (or the reverse) is an
    error naming both sides, so a claim cannot be dropped silently."""
    missing, extra = sorted(set(specs) - set(returned)), sorted(set(returned) - set(specs))
    if missing or extra:
        raise VerdictError(f"figure {job_id!r}: declared verdicts {missing} were not returned by compute()"
                           if missing else
                           f"figure {job_id!r}: compute() returned verdicts {extra} that are not declared; "
                           "declare each (claim, statistic, rule) under 'verdicts:' in its figures/*.yml")
    return {key: record_variants(job_id, key, spec, returned[key]) if spec.get("variants") else
            record(key, spec, _per_seed(returned[key])) for key, spec in specs.items()}


def _per_seed(est: object) -> Mapping:
    """seed -> Estimate, as returned; a lone Estimate is one seed with no label."""
    return est if isinstance(est, Mapping) else {"": est}


def record_variants(job_id: str, key: str, spec: Mapping, returned: object) -> dict:
    """A verdict decided under each declared variant (method choice). The headline is the first variant's; the
    outcome holds only if every variant agrees — otherwise it is *inconclusive*, and `reason` says which
    variant says what ("contradicted under mean ablation, supported under resample ablation")."""
    names = list(spec["variants"])
    if not isinstance(returned, Mapping) or set(returned) != set(names):
        got = sorted(returned) if isinstance(returned, Mapping) else type(returned).__name__
        raise VerdictError(f"figure {job_id!r}: verdict {key!r} declares variants {names}; compute() must return "
                           f"a mapping with exactly those keys (variant -> Estimate, or seed -> Estimate), got {got}")
    recs = {name: record(key, spec, _per_seed(returned[name])) for name in names}
    head = dict(recs[names[0]])
    outcomes = [recs[n]["outcome"] for n in names]
    head["variants"] = [{"name": n, "outcome": recs[n]["outcome"], "shown": recs[n]["shown"], "n": recs[n]["n"],
                         "holds": recs[n]["holds"]} for n in names]
    if len(set(outcomes)) > 1:
        head["outcome"] = "inconclusive"
        head["reason"] = ", ".join(f"{o} under {n}" for n, o in zip(names, outcomes))
    return head
