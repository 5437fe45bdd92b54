"""Test helpers for "every rule can fail": decide an estimate by the rule a figure's declaration fixes.

A can-fail test computes a verdict's statistic — with the same analysis function the figure script uses —
on data where the claim is false (a random model, the 0-layer model, shuffled weights, a constructed
counterexample) and asserts that the *declared* rule, read from figures/*.yml, no longer says "supported".

Write each verdict id whole, as a string literal (`decide("icl-by-position.zero-layer-gains", est)`, or a tuple of
full ids to loop over), never assembled by an f-string: that literal is how `python -m scripts.engine check`
knows the claim has a test (scripts/engine/claim_tests.py).
"""

from __future__ import annotations

import functools
import pathlib

from scripts.engine.declarations import load_jobs
from scripts.engine.verdicts import Rule

REPO = pathlib.Path(__file__).resolve().parents[1]


@functools.cache
def _jobs():
    return load_jobs(REPO, REPO / "figures", REPO / "docs")


def declared_rule(verdict_id: str) -> Rule:
    """The rule of "figure-id.key" as its declaration states it."""
    fid, _, key = verdict_id.partition(".")
    return Rule.parse(_jobs()[fid].verdicts[key]["rule"])


def decide(verdict_id: str, estimate) -> str:
    """The outcome the declared rule gives an `api.Estimate`."""
    return declared_rule(verdict_id).outcome(estimate.low, estimate.high)
