"""Verdicts: a claim, the statistic that tests it, its 95 % interval and n, a rule fixed before looking.

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
- **Seeds.** With several seeds the outcome is the seeds' common outcome; seeds that disagree make it
  *inconclusive*, and the record says in how many seeds the claim holds ("holds in 2 of 3 seeds").
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

OUTCOMES = ("supported", "contradicted", "inconclusive")
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
    """Decimals that show the interval's half-width to its leading digit; None for a zero-width interval."""
    half = (high - low) / 2
    if not half > 0:
        return None
    return max(0, -math.floor(math.log10(half)))


def format_number(x: float, decimals: int | None = None) -> str:
    """`decimals` fixed digits (thousands separated); without it, two significant digits."""
    if decimals is None:
        if x == 0:
            return "0"
        if abs(x) >= 1e4 or abs(x) < 1e-3:
            return f"{x:.1e}".replace("e-0", "e-").replace("e+0", "e")
        decimals = max(0, 1 - math.floor(math.log10(abs(x))))
    s = f"{x:,.{decimals}f}"
    return "0" if re.fullmatch(r"-?0(\.0*)?", s) else s  # no "-0.00"


def format_interval(value: float, low: float, high: float) -> tuple[str, str, str]:
    d = decimals_for(low, high)
    return format_number(value, d), format_number(low, d), format_number(high, d)


# -- what an interval covers ---------------------------------------------------------------------------------

INTERVAL_KINDS = {
    "exact": "exact: no sampling, so no interval",
    "bound": "bounds, not a confidence interval",
    "seeds": "95 % interval over training seeds",
    "null": "95 % interval of a z-score against a null distribution",
    "sampled": "95 % interval over the sampled units",
}


def interval_kind(value: float, low: float, high: float, method: str) -> str:
    """What an Estimate's interval covers, read from how it was made (its `method`): an exact quantity or a
    bound is never shown as a "95 % interval", and a bootstrap says what it resampled."""
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

    The first seed is the headline (the model the figures show); every seed is decided by the same rule.
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
        v, lo, hi = format_interval(value, low, high)
        kind = interval_kind(value, low, high, str(est.method))  # type: ignore[attr-defined]
        seeds.append({"label": str(label), "estimate": v, "low": lo, "high": hi, "n": int(est.n),  # type: ignore[attr-defined]
                      "outcome": rule.outcome(low, high), "shown": shown(kind, v, lo, hi)
                      + (f" (ceiling {format_number(ceiling)})" if ceiling is not None else "")})
    recipe = across_seeds(rule, [float(e.value) for e in estimates.values()])  # type: ignore[attr-defined]
    head = next(iter(estimates.values()))
    kind = interval_kind(float(head.value), float(head.low), float(head.high), str(head.method))  # type: ignore[attr-defined]
    outcomes = {s["outcome"] for s in seeds}
    holds = sum(s["outcome"] == "supported" for s in seeds)
    return {
        "key": key, "claim": spec["claim"], "cite": spec.get("cite", ""), "statistic": spec["statistic"],
        "rule": str(rule), "rule_text": rule.describe(),
        "level": f"{round(100 * float(head.level))} %",  # type: ignore[attr-defined]
        "interval": kind, "interval_text": INTERVAL_KINDS[kind], "shown": seeds[0]["shown"],
        "unit": str(head.unit), "method": str(head.method),  # type: ignore[attr-defined]
        "estimate": seeds[0]["estimate"], "low": seeds[0]["low"], "high": seeds[0]["high"], "n": seeds[0]["n"],
        "outcome": outcomes.pop() if len(outcomes) == 1 else "inconclusive",
        "holds": f"{holds} of {len(seeds)}", "seeds": seeds, **({"recipe": recipe} if recipe else {}),
    }


def across_seeds(rule: Rule, values: list[float], level: float = 0.95) -> dict | None:
    """The recipe's estimate: the mean over training seeds with a t-interval over seeds (the seed is the unit
    of a claim about a training recipe; each seed's own interval covers only its test data). None below three
    seeds, where an interval over seeds says nothing."""
    k = len(values)
    if k < 3:
        return None
    from scipy.stats import t

    mean = math.fsum(values) / k
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (k - 1))
    half = float(t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
    v, lo, hi = format_interval(mean, mean - half, mean + half)
    return {"shown": shown("seeds" if half > 0 else "exact", v, lo, hi), "seeds": k,
            "outcome": rule.outcome(mean - half, mean + half),
            "interval_text": f"{round(100 * level)} % t-interval over {k} training seeds"}


def records(job_id: str, specs: Mapping[str, Mapping[str, str]], returned: Mapping[str, object]) -> dict[str, dict]:
    """Every declared verdict's record; a declared verdict the script did not return (or the reverse) is an
    error naming both sides, so a claim cannot be dropped silently."""
    missing, extra = sorted(set(specs) - set(returned)), sorted(set(returned) - set(specs))
    if missing or extra:
        raise VerdictError(f"figure {job_id!r}: declared verdicts {missing} were not returned by compute()"
                           if missing else
                           f"figure {job_id!r}: compute() returned verdicts {extra} that are not declared; "
                           "declare each (claim, statistic, rule) under 'verdicts:' in its figures/*.yml")
    out = {}
    for key, spec in specs.items():
        est = returned[key]
        if spec.get("variants"):
            out[key] = record_variants(job_id, key, spec, est)
            continue
        per_seed = est if isinstance(est, Mapping) else {"": est}
        out[key] = record(key, spec, per_seed)
    return out


def record_variants(job_id: str, key: str, spec: Mapping, returned: object) -> dict:
    """A verdict decided under each declared variant (method choice). The headline is the first variant's; the
    outcome holds only if every variant agrees — otherwise it is *inconclusive*, and `reason` says which
    variant says what ("contradicted under mean ablation, supported under resample ablation")."""
    names = list(spec["variants"])
    if not isinstance(returned, Mapping) or set(returned) != set(names):
        got = sorted(returned) if isinstance(returned, Mapping) else type(returned).__name__
        raise VerdictError(f"figure {job_id!r}: verdict {key!r} declares variants {names}; compute() must return "
                           f"a mapping with exactly those keys (variant -> Estimate, or seed -> Estimate), got {got}")
    recs = {}
    for name in names:
        est = returned[name]
        recs[name] = record(key, spec, est if isinstance(est, Mapping) else {"": est})
    head = dict(recs[names[0]])
    outcomes = [recs[n]["outcome"] for n in names]
    head["variants"] = [{"name": n, "outcome": recs[n]["outcome"], "shown": recs[n]["shown"], "n": recs[n]["n"],
                         "holds": recs[n]["holds"]} for n in names]
    if len(set(outcomes)) > 1:
        head["outcome"] = "inconclusive"
        head["reason"] = ", ".join(f"{o} under {n}" for n, o in zip(names, outcomes))
    return head
