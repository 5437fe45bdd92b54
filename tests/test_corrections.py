"""A post's "Updates and corrections" (scripts/engine/corrections.py), read from a throwaway git history: changes
on the day of publication are part of publishing; later prose edits, changed values and moved verdicts each get
their date, and a verdict that moved links to its history."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from scripts.engine import corrections, ledger
from tests.test_ledger import _commit

POST = "docs/posts/2026-01-05-p.md"


def _write(root: pathlib.Path, prose: str, values: dict, outcome: str) -> None:
    (root / "docs" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "figures" / "out").mkdir(parents=True, exist_ok=True)
    (root / POST).write_text(f"# P\n\n{prose}\n")
    (root / "figures" / "fig.yml").write_text("fig:\n  script: s.py\n  params: {}\n  caption: c\n  alt: a\n")
    rec = {"claim": "Features split as the dictionary grows larger and larger still.", "statistic": "s",
           "rule": "> 0.5", "estimate": "0.7", "low": "0.6", "high": "0.8", "n": 9, "outcome": outcome, "holds": ""}
    (root / "figures" / "out" / "fig.json").write_text(json.dumps({"id": "fig", "values": values,
                                                                    "verdicts": {"split": rec}}))


def _history(root: pathlib.Path) -> corrections.PostHistory:
    return corrections.post_history(root, POST, ["fig"], ledger.build(root), {"fig": ["split"]})


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, "first draft", {"a": "1"}, "supported")
    _commit(tmp_path, "publish", "2026-01-05")
    _write(tmp_path, "typo fixed", {"a": "1.5"}, "supported")  # the same day: part of publishing
    _commit(tmp_path, "same day", "2026-01-05")
    return tmp_path


def test_an_unchanged_post_says_so_with_its_date(repo):
    h = _history(repo)
    assert h.published == "2026-01-05" and h.changes == ()
    assert "Published 2026-01-05. Nothing in it has changed since." in corrections.markdown(
        h, numbers={"fig": 1}, claim_of={}, page_src="posts/2026-01-05-p.md")


def test_later_prose_values_and_verdicts_are_listed_by_date_with_links(repo):
    _write(repo, "typo fixed", {"a": "2"}, "supported")
    _commit(repo, "recomputed", "2026-01-07")
    _write(repo, "corrected after review", {"a": "2"}, "contradicted")
    _commit(repo, "review", "2026-01-09")
    h = _history(repo)
    assert [(c.date, c.prose, c.figures, c.verdicts) for c in h.changes] == [
        ("2026-01-07", False, ("fig",), ()),
        ("2026-01-09", True, (), (("fig.split", "supported", "contradicted"),)),
    ]
    text = corrections.markdown(h, numbers={"fig": 1}, claim_of={"fig.split": "Features split as the dictionary "
                                                                 "grows larger and larger still."},
                                page_src="posts/2026-01-05-p.md")
    assert "- **2026-01-07**: values changed in [Figure 1](#fig-fig)." in text
    assert ("- **2026-01-09**: the text revised; a verdict moved:\n    - [Features split as the dictionary grows "
            "larger and larger still.](../claims-history.md#history-fig-split): supported → contradicted") in text


def test_value_changes_are_computed_from_the_published_values_only(repo):
    _write(repo, "typo fixed", {"a": "1.5"}, "supported")  # same values, other bytes: not a change
    (repo / "figures" / "out" / "fig.json").write_text((repo / "figures" / "out" / "fig.json").read_text() + "\n")
    _commit(repo, "whitespace", "2026-01-08")
    assert corrections.value_changes(repo, "fig") == ["2026-01-05"]  # only the same-day change, not listed
    assert _history(repo).changes == ()


def test_outside_git_the_page_says_history_is_unavailable(tmp_path):
    _write(tmp_path, "draft", {"a": "1"}, "supported")
    h = corrections.post_history(tmp_path / "nowhere", POST, ["fig"], ledger.Ledger({}), {})
    assert h.published is None and "unavailable" in corrections.markdown(h, numbers={}, claim_of={}, page_src="p.md")
