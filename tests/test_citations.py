"""Citations: BibTeX entries become author-year links and a per-page bibliography; mistakes name their line."""

from __future__ import annotations

import pathlib

import pytest

from scripts.engine.citations import Bibliography, BibliographyError, render
from tests.conftest import REPO

BIB = r"""
@article{elhage2021framework,
  title = {A Mathematical Framework for Transformer Circuits},
  author = {Elhage, Nelson and Nanda, Neel and others},
  journal = {Transformer Circuits Thread}, year = {2021},
  url = {https://transformer-circuits.pub/2021/framework/index.html},
}
@misc{nanda2022lens, title = {{TransformerLens}}, author = {Nanda, Neel and Bloom, Joseph}, year = {2022},
  url = {https://github.com/TransformerLensOrg/TransformerLens}}
@inproceedings{timkey2021bark, title = {All Bark and No Bite}, author = {Timkey, William and van Schijndel, Marten},
  booktitle = {EMNLP}, year = {2021}, eprint = {2109.04404}, archiveprefix = {arXiv}}
@article{solo2020a, title = {One}, author = {Solo, Han}, journal = {J}, year = {2020}}
@article{solo2020b, title = {Two}, author = {Solo, Han}, journal = {J}, year = {2020}}
"""


def bib(tmp_path: pathlib.Path, text: str = BIB) -> Bibliography:
    path = tmp_path / "refs.bib"
    path.write_text(text)
    return Bibliography.load(path, "refs.bib")


def test_labels_follow_author_year_conventions(tmp_path):
    labels = {k: e.label for k, e in bib(tmp_path).entries.items()}
    assert labels == {"elhage2021framework": "Elhage et al., 2021", "nanda2022lens": "Nanda & Bloom, 2022",
                      "timkey2021bark": "Timkey & van Schijndel, 2021",
                      "solo2020a": "Solo, 2020a", "solo2020b": "Solo, 2020b"}


def test_citation_becomes_link_and_page_gets_sorted_references(tmp_path):
    md, errors = render("Shown [@nanda2022lens; @elhage2021framework, § Virtual Weights].\n", bib(tmp_path))
    assert errors == []
    assert md.startswith("Shown ([Nanda & Bloom, 2022](#ref-nanda2022lens ")
    assert "[Elhage et al., 2021](#ref-elhage2021framework " in md and "){ .citation }, § Virtual Weights)." in md
    refs = md.split("## References", 1)[1]
    assert refs.index('id="ref-elhage2021framework"') < refs.index('id="ref-nanda2022lens"')  # by label
    assert '<a href="https://github.com/TransformerLensOrg/TransformerLens">' in refs


def test_arxiv_entries_link_to_arxiv(tmp_path):
    md, _ = render("[@timkey2021bark]", bib(tmp_path))
    assert '<a href="https://arxiv.org/abs/2109.04404">' in md


def test_code_is_left_alone_and_uncited_pages_get_no_references(tmp_path):
    text = "Write `[@nanda2022lens]` to cite.\n\n```\n[@nanda2022lens]\n```\n"
    md, errors = render(text, bib(tmp_path))
    assert md == text and errors == []


def test_unknown_key_names_line_and_suggests_the_closest(tmp_path):
    _, errors = render("intro\n\nas shown [@elhage2021frame].\n", bib(tmp_path))
    assert [(e.line, e.message) for e in errors] == [
        (3, 'unknown citation key "elhage2021frame"; did you mean "elhage2021framework"? '
            "add a BibTeX entry for it to docs/references.bib")]


def test_malformed_citation_is_an_error(tmp_path):
    _, errors = render("see [@nanda2022lens @elhage2021framework]\n", bib(tmp_path))
    assert errors and "malformed citation" in errors[0].message and errors[0].line == 1


def test_links_and_footnotes_are_not_citations(tmp_path):
    text = "[@handle](https://example.org) and [^1]\n\n[^1]: a note\n"
    assert render(text, bib(tmp_path)) == (text, [])


@pytest.mark.parametrize("text, line, words", [
    ("@misc{a, title={x}, author={A, B}, year={2020}}\n\n@misc{a, title={y}, author={A, B}, year={2021}}\n",
     3, 'the key "a" is used by two entries'),
    ("@article{a,\n title={x},\n author={A, B}\n year={2020}\n}\n", 4, "check the braces and the commas"),
    ("@article{a, title={x}, journal={J}, year={2020}}\n", 1, "needs an author and a year"),
])
def test_broken_bib_file_names_line_and_fix(tmp_path, text, line, words):
    with pytest.raises(BibliographyError, match=rf"^refs\.bib:{line}: .*{words}"):
        bib(tmp_path, text)


def test_site_bibliography_loads_and_every_entry_has_a_link():
    entries = Bibliography.load(REPO / "docs" / "references.bib").entries
    assert len(entries) >= 10
    assert all("<a href=" in e.html for e in entries.values())


def test_reload_only_when_file_changes(tmp_path):
    b = bib(tmp_path)
    assert b.fresh()
    (tmp_path / "refs.bib").write_text(BIB + "\n% edited\n")
    assert not b.fresh()


def test_cache_returns_the_same_entries_and_follows_edits(tmp_path):
    cache = tmp_path / "cache" / "bib.json"
    path = tmp_path / "refs.bib"
    path.write_text(BIB)
    first = Bibliography.load(path, "refs.bib", cache=cache)
    assert cache.exists()
    assert Bibliography.load(path, "refs.bib", cache=cache).entries == first.entries
    path.write_text(BIB.replace("{2022}", "{2023}"))
    assert Bibliography.load(path, "refs.bib", cache=cache).entries["nanda2022lens"].label == "Nanda & Bloom, 2023"
    cache.write_text("{not json")
    assert Bibliography.load(path, "refs.bib", cache=cache).entries.keys() == first.entries.keys()
