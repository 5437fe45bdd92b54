"""The verdict ledger (scripts/engine/ledger.py): a rule changed after its first result is never silent."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest

from scripts.engine import ledger
from tests.test_engine import project  # noqa: F401 - a fixture

DECL = "fig:\n  script: scripts/fig.py\n  params: {{cap: {cap}}}\n  caption: c\n  alt: a\n"


def _record(estimate: str, outcome: str, rule: str = "> 0.5") -> str:
    rec = {"claim": "It holds.", "statistic": "a fraction", "rule": rule, "estimate": estimate, "low": "0.6",
           "high": "0.8", "n": 100, "outcome": outcome, "holds": "1 of 1"}
    return json.dumps({"id": "fig", "verdicts": {"holds": rec}})


def _commit(root: pathlib.Path, message: str, date: str) -> None:
    env = {"GIT_AUTHOR_DATE": f"{date}T12:00:00", "GIT_COMMITTER_DATE": f"{date}T12:00:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)


def _write(root: pathlib.Path, cap: int, record: str) -> None:
    (root / "figures" / "out").mkdir(parents=True, exist_ok=True)
    (root / "figures" / "fig.yml").write_text(DECL.format(cap=cap))
    (root / "figures" / "out" / "fig.json").write_text(record)


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, 100, _record("0.7", "supported"))
    _commit(tmp_path, "first result", "2026-01-05")
    return tmp_path


def test_an_unchanged_rule_says_so_with_the_date_of_its_first_result(repo):
    h = ledger.build(repo).get("fig.holds")
    assert h.provenance() == "rule unchanged since its first result (2026-01-05)"
    assert [e.kind for e in h.events] == ["first"]


def test_a_rule_or_parameter_changed_after_the_first_result_is_shown_old_to_new(repo):
    _write(repo, 200, _record("0.7", "supported", rule="> 0.6"))
    _commit(repo, "move the goalposts", "2026-02-01")
    h = ledger.build(repo).get("fig.holds")
    line = h.provenance()
    assert line.startswith("rule changed after its first result:")
    assert "rule > 0.5 → > 0.6 (2026-02-01)" in line and "param cap 100 → 200 (2026-02-01)" in line


def test_outcome_and_estimate_changes_are_listed_but_are_not_rule_changes(repo):
    _write(repo, 100, _record("0.4", "contradicted"))
    _commit(repo, "new data", "2026-03-01")
    h = ledger.build(repo).get("fig.holds")
    assert h.provenance().startswith("rule unchanged")
    kinds = {e.kind: e for e in h.events}
    assert kinds["outcome"].old == "supported" and kinds["outcome"].new == "contradicted"
    assert kinds["estimate"].old.startswith("0.7 [0.6, 0.8]") and kinds["estimate"].new.startswith("0.4")


def test_an_uncommitted_change_is_the_last_entry(repo):
    _write(repo, 300, _record("0.7", "supported"))
    h = ledger.build(repo).get("fig.holds")
    assert h.events[-1].date == ledger.UNCOMMITTED and h.events[-1].field == "param cap"
    assert "(uncommitted)" in h.provenance()


def test_a_backfilled_change_in_code_counts_as_a_rule_change_in_commit_order(repo):
    (repo / "scripts").mkdir()
    (repo / "scripts" / "train.py").write_text("CAP = 40\n")
    _commit(repo, "raise the cap in code", "2026-01-06")
    sha = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h"], capture_output=True, text=True).stdout
    (repo / "figures" / "ledger").mkdir()
    (repo / "figures" / "ledger" / "backfill.yml").write_text(
        f"- date: 2026-01-06\n  commit: {sha.strip()}\n  figures: [fig]\n  field: epoch cap\n  old: '25'\n"
        "  new: '40'\n  why: a run under the old cap had been seen.\n")
    h = ledger.build(repo).get("fig.holds")
    assert "epoch cap 25 → 40 (2026-01-06)" in h.provenance()
    assert [e.kind for e in h.events] == ["first", "rule"]


def test_a_malformed_backfill_names_its_file(repo):
    (repo / "figures" / "ledger").mkdir()
    (repo / "figures" / "ledger" / "backfill.yml").write_text("- date: 2026-01-06\n  field: [unclosed\n")
    with pytest.raises(ledger.LedgerError, match=r"figures/ledger/backfill.yml:\d+"):
        ledger.build(repo)


def test_a_widgets_data_is_not_read_as_a_record(repo):
    """figures/out/*.data.json (a widget's data, megabytes for the feature browser) holds no verdict: the ledger
    skips it rather than parse it at every commit."""
    (repo / "figures" / "out" / "fig.data.json").write_text(json.dumps({"verdicts": {"holds": {"outcome": "x"}}}))
    (repo / "figures" / "out" / "fig.shard-000.data.json").write_text("[1, 2]")
    _commit(repo, "widget data", "2026-01-06")
    assert not ledger._relevant("figures/out/fig.shard-000.data.json") and ledger._relevant("figures/out/fig.json")
    assert [e.kind for e in ledger.build(repo).get("fig.holds").events] == ["first"]


def test_outside_git_there_is_no_invented_history(tmp_path):
    _write(tmp_path, 100, _record("0.7", "supported"))
    result = ledger.build(tmp_path)
    assert result.note == "no history: not a git repository"
    h = result.get("fig.holds")
    assert [e.date for e in h.events] == [ledger.UNCOMMITTED]  # what is there now, honestly dated


def test_a_shallow_clone_says_its_history_is_incomplete(repo, tmp_path_factory):
    _write(repo, 200, _record("0.7", "supported"))
    _commit(repo, "second", "2026-02-01")
    clone = tmp_path_factory.mktemp("clone") / "c"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True)
    assert "shallow clone" in ledger.build(clone).note


@pytest.mark.slow
def test_a_rule_changed_after_its_result_is_said_on_the_claims_page_and_the_history_page(project, tmp_path):
    """Through the real site: a figure's claim is published and committed; its rule is then loosened and the
    figure rebuilt. The Claims page and the claim's history say so, with the old and the new rule."""
    from scripts.engine.build import Engine
    from tests.test_engine import FIGURE, _mkdocs, _site_project, write

    _site_project(project)
    script = FIGURE.format(imports="from scripts.engine.api import Estimate", value="7").replace(
        'values={"answer": 7}', 'values={"answer": 7}, verdicts={"big": Estimate(7.0, 6.0, 8.0, 10, "draws", '
                                '"bootstrap over draws")}')
    write(project / "scripts" / "figs" / "flat.py", script)
    decl = project / "figures" / "test.yml"
    rule = '  verdicts:\n    big:\n      claim: It is big.\n      cite: ""\n      statistic: size\n      rule: "> {t}"\n'
    decl.write_text(decl.read_text() + rule.format(t=6.5))
    (project / "docs" / "index.md").write_text('# Home\n\n{{ figure("flat") }}\n\nBig: {{ verdict("flat.big") }}.\n')
    assert Engine(project).build(progress=False).ok
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    _commit(project, "first result", "2026-01-05")
    decl.write_text(decl.read_text().replace('rule: "> 6.5"', 'rule: "> 5"'))  # inconclusive -> supported
    assert Engine(project).build(progress=False).ok
    _commit(project, "loosen the rule", "2026-01-09")
    site = tmp_path / "site"
    proc = _mkdocs(project, "build", "-d", str(site))
    assert proc.returncode == 0, proc.stderr[-2000:]
    claims_page = (site / "claims" / "index.html").read_text()
    assert "rule changed after its first result: rule &gt; 6.5 → &gt; 5 (2026-01-09)" in claims_page
    history = (site / "claims-history" / "index.html").read_text()
    assert 'id="history-flat-big"' in history and "inconclusive" in history and "supported" in history
    home = (site / "index.html").read_text()
    assert "Provenance: rule changed after its first result" in home  # the chip's details say it too
