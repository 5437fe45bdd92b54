"""The `make note` scaffold: a draft whose placeholders fail the strict build, each with its line, until replaced;
a figure drawn in the shared style that builds through the engine; a declared claim with a test stub that fails
until written, and that `check` reports until a test names the claim."""

from __future__ import annotations

import datetime
import importlib.util
import re
import subprocess
import sys

import matplotlib
import pytest

from scripts.authoring.new_note import main, scaffold
from scripts.engine import style
from scripts.engine.api import Result, format_value
from scripts.engine.build import Engine
from scripts.engine.claim_tests import project_uncovered
from scripts.engine.declarations import load_declarations
from scripts.engine.preflight import (
    PLACEHOLDERS,
    BlogRules,
    check_placeholders,
    check_post,
    check_quotations,
    split_front_matter,
)
from tests.conftest import REPO
from tests.mini_site import build, mini_project

RULES = BlogRules(categories_allowed=("Papers", "Methods", "Site"), authors=frozenset({"circuits"}))
DATE = datetime.date(2026, 11, 22)


def _problems(post) -> list[str]:
    source, _ = split_front_matter("p.md", post.read_text())
    return [p.message for p in check_quotations("p.md", source.body, source.body_line)]


def test_fresh_scaffold_is_a_valid_draft_and_every_placeholder_is_reported(tmp_path):
    post = scaffold("Attention sinks, checked", root=tmp_path, date=DATE)[0]
    text = post.read_text()
    assert check_post("docs/posts/" + post.name, text, RULES) == []  # the front matter itself is fine
    assert split_front_matter("p.md", text)[0].meta["draft"] is True
    messages = _problems(post)
    for phrase, message in PLACEHOLDERS.items():
        assert phrase in text and message in messages, phrase
    assert sum("example.org" in m for m in messages) == 2  # the paper link and the quotation's source link


def test_placeholders_name_their_lines(tmp_path):
    post = scaffold("Heads", root=tmp_path, paper="https://arxiv.org/abs/2209.11895", date=DATE)[0]
    lines = post.read_text().split("\n")
    source, _ = split_front_matter("p.md", post.read_text())
    for p in check_placeholders("p.md", source.body, source.body_line):
        assert any(phrase in lines[p.line - 1] for phrase in PLACEHOLDERS) or "example.org" in lines[p.line - 1]
    assert not any("example.org" in m for m in _problems(post))  # a real paper link is not a placeholder


def test_a_placeholder_link_is_quoted_exactly(tmp_path):
    post = scaffold("Heads", root=tmp_path, paper="https://example.org/paper", date=DATE)[0]
    links = [m for m in _problems(post) if m.startswith("link ")]
    assert links == ['link "https://example.org/paper" is a placeholder (example.org stands for the paper) — link '
                     "the paper itself", 'link "https://example.org/paper#section-id" is a placeholder '
                                         "(example.org stands for the paper) — link the paper itself"]


def test_the_paper_link_reads_as_its_title_never_its_url(tmp_path):
    url = "https://arxiv.org/abs/2209.11895"
    titled = scaffold("Heads", root=tmp_path / "a", paper=url, paper_title="In-context Learning [and] Induction Heads",
                      date=DATE)[0]
    assert f"[In-context Learning \\[and\\] Induction Heads]({url})" in titled.read_text()
    assert sorted(_problems(titled)) == sorted(m for p, m in PLACEHOLDERS.items() if p != "[Title of the paper]")
    untitled = scaffold("Heads", root=tmp_path / "b", paper=url, date=DATE)[0]
    assert f"[{url}]" not in untitled.read_text() and f"[Title of the paper]({url})" in untitled.read_text()
    assert PLACEHOLDERS["[Title of the paper]"] in _problems(untitled)


def test_replaced_placeholders_pass(tmp_path):
    post = scaffold("Heads", root=tmp_path, paper="https://arxiv.org/abs/2209.11895", date=DATE)[0]
    post.write_text(_written(post.read_text()))
    assert _problems(post) == []


def test_placeholders_in_code_are_examples_not_placeholders():
    body = "Write `https://example.org` for now.\n\n```\n> \"A short quotation from the paper.\"\n```\n"
    assert check_placeholders("p.md", body, 1) == []


def test_main_says_the_post_is_a_draft(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("scripts.authoring.new_note.ROOT", tmp_path)
    monkeypatch.setattr("scripts.authoring.new_note.scaffold",
                        lambda title, **kw: scaffold(title, root=tmp_path, date=DATE, **kw))
    assert main(["Heads", "--paper", "https://arxiv.org/abs/2209.11895", "--paper-title", "Induction Heads"]) == 0
    out = capsys.readouterr().out
    assert "draft" in out and "placeholders" in out and "tests/test_claims_heads.py" in out
    post = tmp_path / "docs" / "posts" / "2026-11-22-heads.md"
    assert "[Induction Heads](https://arxiv.org/abs/2209.11895)" in post.read_text()


def _module(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_figure_is_drawn_in_the_shared_style_with_the_prose_numbers(tmp_path):
    """Its bars are labelled by the formatter `{{ value() }}` uses: the number the prose quotes is the bar's label
    (a format of its own printed 11.5 as "12" on the bar, beside "11.5" in the text)."""
    script = scaffold("Heads", root=tmp_path, date=DATE)[1]
    scores = [0.9128497, 0.0016378, 0.8263155, 0.0076782]
    with matplotlib.rc_context(style.rc("light")):
        fig = _module(script).plot(Result(data={"scores": scores}), "light")
        assert "style.subplots(theme" in script.read_text()
        assert style.check_figure(fig) == []
    assert [t.get_text() for t in fig.axes[0].texts] == [format_value(s) for s in scores] == \
        ["0.913", "0.00164", "0.826", "0.00768"]
    assert style.number(11.5) == format_value(11.5) == "11.5"


def test_the_claims_test_stub_fails_until_written_and_names_its_claim(tmp_path):
    stub = scaffold("Heads", root=tmp_path, date=DATE)[3]
    assert stub.relative_to(tmp_path).as_posix() == "tests/test_claims_heads.py"
    tests = [f for name, f in vars(_module(stub)).items() if name.startswith("test_")]
    assert tests
    for test in tests:
        with pytest.raises(pytest.fail.Exception, match=r"write the test that feeds the rule of claim 'example-claim'"
                                                        r".*decide\('heads-example\.example-claim', estimate\)"):
            test()


def _claim_line(declaration) -> int:
    return declaration.read_text().split("\n").index("    example-claim:") + 1


def test_check_reports_the_scaffold_claim_until_a_test_names_it(tmp_path):
    _, _, declaration, stub = scaffold("Heads", root=tmp_path, date=DATE)
    jobs = load_declarations(tmp_path, tmp_path / "figures", tmp_path / "docs").jobs
    gaps = project_uncovered(tmp_path, jobs)
    assert [(g.verdict_id, g.where) for g in gaps] == [("heads-example.example-claim",
                                                        f"figures/heads.yml:{_claim_line(declaration)}")]
    stub.write_text('def test_a_random_model_has_no_induction_head():\n'
                    '    assert decide("heads-example.example-claim", estimate) != "supported"\n')
    assert project_uncovered(tmp_path, jobs) == []


@pytest.mark.slow
def test_the_figure_builds_through_the_engine_and_check_wants_its_claim_tested(tmp_path):
    """The scaffold in a copy of the site with the zoo's models (tests/mini_site.py): its figure builds through
    the engine, its claim decided on every seed and its bar labels the strings the prose prints; `check` fails,
    naming the claim's declaration line, until a test names the claim."""
    project = mini_project(tmp_path / "p")
    (project / "models").symlink_to(REPO / "models", target_is_directory=True)
    _, _, declaration, stub = scaffold("Attention sinks, checked", root=project, date=DATE)
    fid = "attention-sinks-checked-example"
    engine = Engine(project)
    try:
        report = engine.build(progress=False)
    finally:
        engine.close()
    assert report.built == [fid], report.failed
    verdict = engine.verdicts(fid)["example-claim"]
    assert (verdict["outcome"], verdict["holds"]) == ("supported", "3 of 3")
    svg = (project / "figures" / "out" / f"{fid}.light.svg").read_text()
    assert f">{engine.values(fid)['best_score']}<" in svg

    def check():
        return subprocess.run([sys.executable, "-m", "scripts.engine", "check"], cwd=project, capture_output=True,
                              text=True)

    proc = check()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f'figures/attention-sinks-checked.yml:{_claim_line(declaration)}: claim "{fid}.example-claim" has no '
            "test") in proc.stderr
    stub.write_text(f'def test_it():\n    assert decide("{fid}.example-claim", estimate) != "supported"\n')
    proc = check()
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_strict_build_lists_the_placeholders_and_a_finished_draft_stays_out_of_the_feed(tmp_path):
    """Real builds of a copy of the site holding only the new note (tests/mini_site.py). Fresh, the strict build
    fails naming each placeholder's line. Written (its example figure replaced by prose, as figures are not
    computed here), the post passes every check the strict build makes of it, and as a draft it is neither
    built nor in the feed; once its `draft` line is deleted it is both. (The later builds are not strict: pages
    the rest of the site generates link pages this copy leaves out.)"""
    project, site = mini_project(tmp_path / "p"), tmp_path / "site"
    post = scaffold("Attention sinks, checked", root=project, date=DATE)[0]
    proc = build(project, site, strict=True)
    assert proc.returncode != 0
    lines = post.read_text().split("\n")
    reported = re.findall(rf"docs/posts/{post.name}:(\d+): (.*)", proc.stderr)
    for phrase, message in PLACEHOLDERS.items():
        line = next(k for k, text in enumerate(lines, start=1) if phrase in text)
        assert (str(line), message) in reported, (phrase, proc.stderr[-2000:])
    assert not site.exists()  # nothing was built

    text = re.sub(r'\{\{ figure\("[^"]+"\) \}\}\n', "", _written(post.read_text()))
    text = re.sub(r'(!!! verdict "Verdict"\n)(?:    .*\n)+', r"\1    One head stands out.\n", text)
    post.write_text(text)
    assert check_post(f"docs/posts/{post.name}", text, RULES) == [] and _problems(post) == []
    proc = build(project, site, strict=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [line for line in proc.stderr.splitlines()
                if line.startswith(("WARNING", "ERROR")) and post.name in line]
    assert not (site / "2026" / "11" / "22" / "attention-sinks-checked").exists()
    assert "attention-sinks-checked" not in (site / "feed_rss_created.xml").read_text()

    post.write_text(re.sub(r"(?m)^draft:.*\n", "", text))  # the author publishes it
    proc = build(project, site, strict=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (site / "2026" / "11" / "22" / "attention-sinks-checked" / "index.html").exists()
    assert "attention-sinks-checked" in (site / "feed_rss_created.xml").read_text()


def _written(text: str) -> str:
    """What an author does to the scaffold: every placeholder replaced by their own text."""
    replacements = {
        "One or two sentences on what the paper claims and why it matters":
            "Induction heads copy what followed an earlier occurrence of the current token",
        '"A short quotation from the paper."': '"Induction heads are a circuit."',
        "§ Section name": "§ Induction Heads",
        "#section-id": "#induction-heads",
        "Your reading of it, in your own words.": "Two heads in two layers, working together.",
        "What is not obvious, or seems to contradict something else.": "Why two layers are needed.",
        "What you computed, on which model and data.": "The prefix-matching score of each head.",
        "Replace this example with the numbers your own script computes.": "The score is high for one head.",
        "[Title of the paper]": "[In-context Learning and Induction Heads]",
        "example-claim": "induction-head-forms",
    }
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.replace("https://example.org", "https://transformer-circuits.pub/2022/in-context-learning")
