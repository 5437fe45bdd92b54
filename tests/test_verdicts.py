"""Verdict rules, records, precision and intervals (scripts/engine/verdicts.py, scripts/analysis/stats.py).

Every outcome must be reachable: a rule is fed intervals on both sides of its threshold and across it.
"""

from __future__ import annotations

import numpy as np
import pytest

from scripts.analysis import stats
from scripts.engine.api import Estimate
from scripts.engine.verdicts import Rule, VerdictError, format_interval, parse_specs, record, records

SPEC = {"claim": "The head copies.", "statistic": "eigenvalue positivity", "rule": "> 0.4"}


def est(v, lo, hi, n=100):
    return Estimate(v, lo, hi, n, "windows", "bootstrap")


@pytest.mark.parametrize("rule,interval,outcome", [
    ("> 0.4", (0.45, 0.5), "supported"), ("> 0.4", (0.3, 0.35), "contradicted"), ("> 0.4", (0.35, 0.45), "inconclusive"),
    ("< 0", (-0.3, -0.1), "supported"), ("< 0", (0.1, 0.2), "contradicted"), ("< 0", (-0.1, 0.1), "inconclusive"),
    ("< 1e-4", (6e-5, 6e-5), "supported"), ("< 1e-4", (2e-4, 2e-4), "contradicted"),
])
def test_rule_reaches_every_outcome(rule, interval, outcome):
    assert Rule.parse(rule).outcome(*interval) == outcome


@pytest.mark.parametrize("bad", ["0.4", ">= 0.4", "> x", "about 3", ""])
def test_malformed_rules_are_refused(bad):
    with pytest.raises(VerdictError, match="rule"):
        Rule.parse(bad)


def test_precision_follows_the_interval():
    assert format_interval(0.4093, 0.38, 0.44) == ("0.41", "0.38", "0.44")
    assert format_interval(0.4093, 0.409, 0.4096) == ("0.4093", "0.4090", "0.4096")
    assert format_interval(1234.5, 1000.0, 1500.0) == ("1,200", "1,000", "1,500")  # half-width 250 -> hundreds
    assert format_interval(10300, 4657, 15943) == ("10,000", "5,000", "16,000")  # no false digits in a wide interval
    assert format_interval(88, 88, 176, coarse=False) == ("88", "88", "176")  # bounds keep their exact ends
    # float noise far below the interval's precision never changes the text
    assert format_interval(0.4093 + 3e-7, 0.38 - 2e-7, 0.44 + 1e-7) == format_interval(0.4093, 0.38, 0.44)


def test_record_decides_by_rule_and_counts_seeds():
    rec = record("copies", SPEC, {"seed 0": est(0.9, 0.85, 0.95), "seed 1": est(0.8, 0.7, 0.9), "seed 2": est(0.5, 0.3, 0.6)})
    assert rec["outcome"] == "inconclusive"  # one seed straddles the threshold: the recipe does not settle it
    assert rec["holds"] == "2 of 3"
    assert [s["outcome"] for s in rec["seeds"]] == ["supported", "supported", "inconclusive"]
    assert (rec["estimate"], rec["low"], rec["high"]) == ("0.7", "0.2", "1.3")  # the recipe: mean, t over seeds
    assert rec["seeds"][0]["shown"] == "0.90 [0.85, 0.95]" and rec["unit"] == "training seeds" and rec["n"] == 3
    agree = record("copies", SPEC, {"a": est(0.2, 0.1, 0.3), "b": est(0.25, 0.2, 0.3)})
    assert agree["outcome"] == "contradicted" and agree["holds"] == "0 of 2"


def test_records_refuse_undeclared_or_missing_verdicts():
    with pytest.raises(VerdictError, match="not returned"):
        records("fig", {"a": SPEC}, {})
    with pytest.raises(VerdictError, match="not declared"):
        records("fig", {}, {"b": est(1, 0, 2)})
    with pytest.raises(VerdictError, match="outside its interval"):
        records("fig", {"a": SPEC}, {"a": est(1.0, 0.0, 0.5)})


def test_declaration_specs_are_checked():
    assert parse_specs({"a": SPEC})["a"]["rule"] == "> 0.4"
    with pytest.raises(VerdictError, match="missing rule"):
        parse_specs({"a": {"claim": "x", "statistic": "y"}})
    with pytest.raises(VerdictError, match="unknown key"):
        parse_specs({"a": {**SPEC, "rul": "> 1"}})


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small, large = rng.normal(1.0, 1.0, 50), rng.normal(1.0, 1.0, 5000)
    a, b = stats.bootstrap_mean(small, unit="x"), stats.bootstrap_mean(large, unit="x")
    assert a.low < 1.0 < a.high and b.low < 1.0 < b.high
    assert (b.high - b.low) < (a.high - a.low) / 5
    # against the normal approximation: half-width ~ 1.96 sd / sqrt(n)
    assert abs((b.high - b.low) / 2 - 1.96 / np.sqrt(5000)) < 0.01
    assert stats.bootstrap_mean(small, unit="x") == a  # seeded: the same interval every time


def test_paired_bootstrap_keeps_pairs():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 5, 400)
    diff = stats.bootstrap_statistic(lambda x, y: float((x - y).mean()), base + 0.1, base, unit="pairs")
    assert diff.low > 0.09 and diff.high < 0.11  # the shared noise cancels only if rows stay paired


def test_null_z_flags_only_outliers():
    null = np.random.default_rng(2).normal(0.2, 0.01, 300)
    far, typical = stats.null_z(0.3, null), stats.null_z(0.2, null)
    assert far.low > 5
    assert Rule.parse("> 3").outcome(typical.low, typical.high) == "contradicted"


def test_an_interval_says_what_it_covers_and_an_exact_quantity_shows_no_interval():
    from scripts.engine.api import Estimate
    from scripts.engine.verdicts import interval_kind, record

    spec = {"claim": "c", "statistic": "s", "rule": "> 1"}
    exact = record("k", spec, {"": Estimate(4.8, 4.8, 4.8, 1, "training run", "exact, one run")})
    assert exact["interval"] == "exact" and exact["shown"] == "4.8 (exact)" and "95 %" not in exact["interval_text"]
    bounded = record("k", spec, {"": Estimate(88, 88, 176, 1, "training run", "bounds from the log interval")})
    assert bounded["shown"] == "88 (between 88 and 176)" and bounded["interval"] == "bound"
    sampled = record("k", spec, {"": Estimate(1.5, 1.4, 1.6, 50, "windows", "bootstrap over windows, 2,000 resamples")})
    assert sampled["shown"] == "1.5 [1.4, 1.6]" and sampled["interval_text"].startswith("95 % interval over")
    assert interval_kind(0.3, 0.1, 0.5, "z-score against a null of 2,000 draws") == "null"
    assert interval_kind(0.3, 0.1, 0.5, "bootstrap over training seeds, 2,000 resamples") == "seeds"


def test_variants_that_disagree_make_the_verdict_inconclusive_and_say_which_says_what():
    from scripts.engine.api import Estimate
    from scripts.engine.verdicts import VerdictError, parse_specs, records

    specs = parse_specs({"alone": {"claim": "c", "statistic": "fraction kept", "rule": "< 0.5",
                                   "variants": ["mean ablation", "resample ablation"]}})
    est = lambda v: Estimate(v, v - 0.02, v + 0.02, 100, "sequences", "bootstrap over sequences")
    rec = records("f", specs, {"alone": {"mean ablation": {"seed 0": est(0.57), "seed 1": est(0.68)},
                                         "resample ablation": {"seed 0": est(0.33), "seed 1": est(0.46)}}})["alone"]
    assert rec["outcome"] == "inconclusive"
    assert rec["reason"] == "contradicted under mean ablation, supported under resample ablation"
    assert rec["estimate"] == "0.57" and [v["name"] for v in rec["variants"]] == ["mean ablation", "resample ablation"]
    agree = records("f", specs, {"alone": {"mean ablation": est(0.2), "resample ablation": est(0.3)}})["alone"]
    assert agree["outcome"] == "supported" and "reason" not in agree
    with pytest.raises(VerdictError, match="exactly those keys"):
        records("f", specs, {"alone": {"mean ablation": est(0.2)}})
    with pytest.raises(VerdictError, match="two or more different"):
        parse_specs({"x": {"claim": "c", "statistic": "s", "rule": "< 1", "variants": ["mean"]}})


def test_an_estimate_above_its_own_ceiling_is_refused_and_a_ceiling_is_shown():
    spec = {"claim": "c", "statistic": "bits", "rule": "> 1"}
    below = record("k", spec, {"": Estimate(2.1, 2.0, 2.2, 9, "windows", "bootstrap over windows", ceiling=2.7)})
    assert below["shown"] == "2.1 [2.0, 2.2] (ceiling 2.7)"
    with pytest.raises(VerdictError, match="above the quantity's own ceiling 2.7"):
        record("k", spec, {"": Estimate(3.6, 3.5, 3.8, 9, "windows", "bootstrap over windows", ceiling=2.7)})


def test_three_or_more_seeds_get_an_interval_over_seeds_that_can_disagree_with_one_seeds_interval():
    spec = {"claim": "c", "statistic": "fraction kept", "rule": "< 0.5"}
    est = lambda v: Estimate(v, v - 0.007, v + 0.007, 128, "sequences", "bootstrap over sequences")
    rec = record("k", spec, {f"seed {i}": est(v) for i, v in enumerate((0.57, 0.68, 0.78))})
    recipe = rec["recipe"]
    assert recipe["seeds"] == 3 and "interval over 3 training seeds (t over seeds" in recipe["interval_text"]
    lo, hi = float(recipe["low"]), float(recipe["high"])
    assert hi - lo > 0.4  # the seeds' spread (0.57-0.78 with t(2)), not one seed's ±0.007
    # Each seed's tiny interval says "contradicted"; the headline over seeds decides, with an honest width.
    assert [s["outcome"] for s in rec["seeds"]] == ["contradicted"] * 3 and rec["outcome"] == recipe["outcome"]
    assert rec["shown"] == recipe["shown"] and rec["shown"].endswith("over 3 seeds")
    # Seeds that each support a claim, but spread so widely that the recipe's mean is not settled: inconclusive.
    close = record("k", spec, {f"seed {i}": est(v) for i, v in enumerate((0.49, 0.2, 0.48, 0.1, 0.47))})
    assert {s["outcome"] for s in close["seeds"]} == {"supported"} and close["outcome"] == "inconclusive"
    split = record("k", spec, {f"seed {i}": est(v) for i, v in enumerate((0.3, 0.7, 0.35, 0.65, 0.4))})
    assert split["holds"] == "3 of 5" and split["outcome"] == "inconclusive"
    same = record("k", spec, {f"seed {i}": Estimate(0.25, 0.25, 0.25, 4, "heads", "exact", covers="exact")
                              for i in range(5)})
    assert same["shown"] == "0.25 in each of 5 seeds" and same["outcome"] == "supported"
    assert "recipe" not in record("k", spec, {"seed 0": est(0.57), "seed 1": est(0.68)})


def test_intervals_say_what_they_cover_and_at_which_level():
    spec = {"claim": "c", "statistic": "z", "rule": "> 3"}
    rec = record("k", spec, {"": Estimate(5.0, 4.0, 6.0, 100, "draws", "anything", level=0.99875, covers="null")})
    assert rec["interval"] == "null" and rec["interval_text"].startswith("99.9 % interval of a z-score")
    ex = record("k", spec, {"": Estimate(4.8, 4.8, 4.8, 1, "run", "read off the log", covers="exact")})
    assert ex["shown"] == "4.8 (exact)" and "95 %" not in ex["interval_text"]
    with pytest.raises(VerdictError, match="covers"):
        record("k", spec, {"": Estimate(5.0, 4.0, 6.0, 100, "draws", "x", covers="vibes")})


def test_the_recipe_interval_keeps_the_test_data_error_that_all_seeds_share():
    """Seeds scored on the same windows agree closely, so their spread alone would hide the windows' sampling
    error: the recipe's interval is never narrower than a typical seed's own."""
    spec = {"claim": "c", "statistic": "bits", "rule": "> 2.2"}
    rec = record("k", spec, {f"seed {i}": Estimate(v, v - 0.07, v + 0.07, 128, "windows", "bootstrap over windows")
                             for i, v in enumerate((2.26, 2.24, 2.26, 2.27, 2.25))})
    low, high = float(rec["low"]), float(rec["high"])
    assert high - low >= 0.14 and rec["outcome"] == "inconclusive"  # seeds alone: [2.24, 2.27], "supported"
    assert "combined with the seeds' own intervals" in rec["interval_text"]


def test_printed_ends_keep_their_side_of_the_threshold():
    from scripts.engine.verdicts import format_against

    assert format_interval(10.2, 0.4, 21.0) == ("10", "0", "20")  # coarse rounding alone hides the support
    assert format_against(0.3, 10.2, 0.4, 21.0) == ("10.2", "0.4", "21.0")
    assert format_against(0.0, -0.08, -0.19, 0.02) == ("-0.08", "-0.19", "0.02")
    assert format_against(0.0, 0.41, 0.38, 0.44) == ("0.41", "0.38", "0.44")  # nothing to add
    # an exact number keeps its side too: 0.797 against "> 0.8" is not printed "0.80"
    assert format_against(0.8, 0.797, 0.797, 0.797)[0] == "0.797"
    assert format_against(0.8, 0.822, 0.822, 0.822)[0] == "0.82"
    spec = {"claim": "c", "statistic": "s", "rule": "> 3"}
    rec = record("k", spec, {"": Estimate(10.2, 3.4, 18.0, 9, "draws", "z", covers="null")})
    assert rec["outcome"] == "supported" and float(rec["low"]) > 3
