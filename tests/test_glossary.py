"""The glossary (scripts/engine/glossary.py): its file's mistakes are named by line, and a term's card goes on its
first use in prose only — never in code, math, links, headings, shortcodes or a post's excerpt."""

from __future__ import annotations

import pathlib
import textwrap

import pytest

from scripts.engine import glossary

REPO = pathlib.Path(__file__).resolve().parents[1]
ENTRY = """\
induction-head:
  term: induction head
  definition: A head that completes repeated sequences.
  see: posts/p.md
"""


def _load(tmp_path: pathlib.Path, text: str, pages=frozenset({"posts/p.md"})):
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "glossary.yml").write_text(textwrap.dedent(text))
    return glossary.load(tmp_path, set(pages))


def test_the_sites_glossary_loads_and_covers_the_terms_the_notes_rely_on():
    pages = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")}
    terms = glossary.load(REPO, pages)
    words = {w.lower() for t in terms.values() for w in (t.term, *t.also)}
    for needed in ("residual stream", "ov circuit", "qk circuit", "k-composition", "q-composition", "v-composition",
                   "induction head", "previous-token head", "virtual weights", "privileged basis", "superposition",
                   "path patching", "mean ablation", "zero ablation", "resample ablation", "icl score",
                   "restricted loss", "excluded loss"):
        assert needed in words, needed


@pytest.mark.parametrize("text, line, message", [
    (ENTRY + "bad: [unclosed\n", 6, "not valid YAML"),  # where YAML found the end of the file
    (ENTRY.replace("  definition: A head that completes repeated sequences.\n", ""), 1, "'definition' must be"),
    (ENTRY.replace("repeated sequences.", "repeated *sequences*."), 3, "plain text"),  # the field's own line
    (ENTRY.replace("posts/p.md", "posts/nowhere.md"), 4, "is not a page of the site"),
    (ENTRY + ENTRY.replace("induction-head:", "other:"), 5, "already a word of entry 'induction-head'"),
    (ENTRY.replace("induction-head:", "Induction_Head:"), 1, "lower-case letters"),
])
def test_mistakes_name_the_line_and_the_fix(tmp_path, text, line, message):
    with pytest.raises(glossary.GlossaryError) as e:
        _load(tmp_path, text)
    assert e.value.where == f"docs/glossary.yml:{line}" and message in str(e.value)


def test_first_use_in_prose_gets_the_card_and_nothing_else_does(tmp_path):
    terms = _load(tmp_path, ENTRY)
    md = "\n".join([
        "An induction head in the excerpt is left alone (it is shown on other pages).",
        "<!-- more -->",
        "## Induction heads, in a heading",
        "`induction head` in code, $\\text{induction head}$ in math, [an induction head](x.md) in a link,",
        "{{ value(\"induction-head.x\") }} and a [@cite, § induction head].",
        "```",
        "induction head inside a fence",
        "```",
        "    !!! note \"An induction head in a title\"",
        "Here, Induction Heads are used first.",
        "A second induction head is plain.",
    ])
    out = glossary.annotate(md, terms, lambda t: ("../p/#top", "../glossary/#" + t.slug))
    assert out.count('class="gloss"') == 1
    first = out.split("\n")[9]
    assert first.startswith('Here, <span class="gloss" tabindex="0" data-gloss="induction-head">Induction Heads<span')
    assert 'href="../glossary/#induction-head"' in first and "A head that completes repeated sequences." in first
    assert out.split("\n")[:9] == md.split("\n")[:9] and out.split("\n")[10] == md.split("\n")[10]


def test_the_glossary_page_lists_terms_alphabetically_with_their_note():
    terms = {"b": glossary.Term("b", "zeta term", (), "Last.", "posts/p.md"),
             "a": glossary.Term("a", "alpha term", ("alpha",), "First.", "posts/p.md#sec", forms=("alpha-term",))}
    md = glossary.page(terms, {"posts/p.md": "The note"})
    assert md.index("## Alpha term {#a}") < md.index("## Zeta term {#b}")
    assert "First. *Also: alpha.* Explained in [The note](posts/p.md#sec)." in md and "alpha-term" not in md
    out = glossary.annotate("An alpha-term here.", terms, lambda t: ("n", "g"))  # a form gets the card
    assert out.startswith('An <span class="gloss" tabindex="0" data-gloss="a">alpha-term<span')
