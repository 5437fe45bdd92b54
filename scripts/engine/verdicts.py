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

OUTCOMES = ("supported", "contradicted", "inconclusive")
Outcome = Literal["supported", "contradicted", "inconclusive"]
_SPEC_KEYS = {"claim", "cite", "statistic", "rule"}
_RULE = re.compile(r"^\s*([<>])\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


class VerdictError(ValueError):
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
        specs[key] = {k: str(v).strip() for k, v in spec.items()}
    return specs


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
        v, lo, hi = format_interval(value, low, high)
        seeds.append({"label": str(label), "estimate": v, "low": lo, "high": hi, "n": int(est.n),  # type: ignore[attr-defined]
                      "outcome": rule.outcome(low, high)})
    head = next(iter(estimates.values()))
    outcomes = {s["outcome"] for s in seeds}
    holds = sum(s["outcome"] == "supported" for s in seeds)
    return {
        "key": key, "claim": spec["claim"], "cite": spec.get("cite", ""), "statistic": spec["statistic"],
        "rule": str(rule), "rule_text": rule.describe(),
        "level": f"{round(100 * float(head.level))} %",  # type: ignore[attr-defined]
        "unit": str(head.unit), "method": str(head.method),  # type: ignore[attr-defined]
        "estimate": seeds[0]["estimate"], "low": seeds[0]["low"], "high": seeds[0]["high"], "n": seeds[0]["n"],
        "outcome": outcomes.pop() if len(outcomes) == 1 else "inconclusive",
        "holds": f"{holds} of {len(seeds)}", "seeds": seeds,
    }


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
        per_seed = est if isinstance(est, Mapping) else {"": est}
        out[key] = record(key, spec, per_seed)
    return out
