"""The coverage rule of `check` (scripts/engine/claim_tests.py): a declared claim no test names is reported
with the file:line of its declaration; only a test's string literal "figure-id.claim-key" counts."""

from __future__ import annotations

import pathlib
import textwrap

from scripts.engine.claim_tests import project_uncovered, uncovered
from scripts.engine.declarations import load_declarations

REPO = pathlib.Path(__file__).resolve().parents[1]
DECLARATION = """\
# two claims
toy:
  script: s.py
  caption: c
  alt: a
  verdicts:
    tested:
      claim: A thing holds.
      statistic: a number
      rule: "> 0"
    untested:
      claim: Another thing holds.
      statistic: another number
      rule: "< 1"
"""


def _jobs(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "toy.yml").write_text(DECLARATION)
    (tmp_path / "s.py").write_text("")
    return load_declarations(tmp_path, tmp_path / "figures", tmp_path / "docs").jobs


def _test(body: str) -> dict[str, str]:
    return {"tests/test_claims_toy.py": textwrap.dedent(body)}


def test_a_claim_without_a_test_is_reported_with_its_line(tmp_path):
    jobs = _jobs(tmp_path)
    gaps = uncovered(jobs, _test('assert decide("toy.tested", est) != "supported"\n'),
                     {"figures/toy.yml": DECLARATION})
    assert [(g.verdict_id, g.where) for g in gaps] == [("toy.untested", "figures/toy.yml:11")]
    assert str(gaps[0]).startswith('figures/toy.yml:11: claim "toy.untested" has no test — write one')
    assert uncovered(jobs, {}, {"figures/toy.yml": DECLARATION})[0].where == "figures/toy.yml:7"


def test_only_the_whole_id_as_a_string_literal_covers_a_claim(tmp_path):
    jobs = _jobs(tmp_path)
    mentions = _test('''
        """Covers toy.untested, says the docstring."""
        # decide("toy.untested", est)
        for key in ("tested", "untested"):
            decide(f"toy.{key}", est)
        pytest.fail("write the test: decide('toy.untested', estimate) != 'supported'")
        UNTESTED = ("toy.tested", "toy.untested")
    ''')
    assert uncovered(jobs, mentions, {}) == []  # the tuple names both
    without_tuple = {k: v.replace('UNTESTED = ("toy.tested", "toy.untested")', "") for k, v in mentions.items()}
    assert [g.verdict_id for g in uncovered(jobs, without_tuple, {})] == ["toy.tested", "toy.untested"]


def test_a_test_module_that_does_not_parse_covers_nothing(tmp_path):
    gaps = uncovered(_jobs(tmp_path), _test('decide("toy.tested", est) ==\n'), {})
    assert [g.verdict_id for g in gaps] == ["toy.tested", "toy.untested"]


def test_every_claim_of_the_site_has_a_test():
    jobs = load_declarations(REPO, REPO / "figures", REPO / "docs").jobs
    assert [str(g) for g in project_uncovered(REPO, jobs)] == []
