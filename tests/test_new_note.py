"""The `make note` scaffold: a draft whose placeholders fail the strict build, each with its line, until replaced."""

from __future__ import annotations

import datetime
import re

from scripts.authoring.new_note import main, scaffold
from scripts.engine.preflight import PLACEHOLDERS, BlogRules, check_placeholders, check_post, check_quotations, \
    split_front_matter
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
                     "the paper itself"] * 2 + ['link "https://example.org/paper#section-id" is a placeholder '
                                                "(example.org stands for the paper) — link the paper itself"]


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
    assert main(["Heads"]) == 0
    out = capsys.readouterr().out
    assert "draft" in out and "placeholders" in out


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
    assert not [line for line in proc.stderr.splitlines() if line.startswith(("WARNING", "ERROR")) and post.name in line]
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
    }
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text.replace("https://example.org", "https://transformer-circuits.pub/2022/in-context-learning")
