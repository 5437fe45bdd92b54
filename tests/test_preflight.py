"""Errors that teach: each broken post or page is reported with its file, its line and the fix."""

from __future__ import annotations

import pytest

from scripts.engine.preflight import BlogRules, check_images, check_post, check_quotations, split_front_matter

RULES = BlogRules(categories_allowed=("Papers", "Methods", "Site"), authors=frozenset({"circuits"}))
GOOD = "---\ndate: 2026-01-31\nauthors: [circuits]\ncategories: [Papers]\ntags: [QK circuit]\n---\n\n# T\n\nIntro.\n\n<!-- more -->\n\nBody.\n"
NAME = "docs/posts/2026-01-31-t.md"


def problems(text: str, rules: BlogRules = RULES) -> list[str]:
    return [str(p) for p in check_post(NAME, text, rules)]


def test_a_good_post_has_no_problems():
    assert problems(GOOD) == []


@pytest.mark.parametrize("edit, expected", [
    (("date: 2026-01-31\n", ""), f"{NAME}:1: the post has no date — add `date: 2026-01-31` to its front matter"),
    (("date: 2026-01-31", "date: 31/01/2026"), f"{NAME}:2: `date: 31/01/2026` is not a date — write it as YYYY-MM-DD"),
    (("date: 2026-01-31", "date: {updated: 2026-02-01}"), f"{NAME}:2: a date written as a mapping needs `created:`"),
    (("[Papers]", "[Paper]"), f'{NAME}:4: category "Paper" is not defined — did you mean "Papers"? use one of '
                              "Papers, Methods, Site (or make it a tag), or add it to mkdocs.yml"),
    (("categories: [Papers]", "categories: Papers"), f"{NAME}:4: `categories` must be a list, e.g. categories: [Papers]"),
    (("[circuits]", "[bob]"), f'{NAME}:3: author "bob" is not defined — use one of circuits, or add it to docs/.authors.yml'),
    (("tags: [QK circuit]", "tags: QK circuit"), f"{NAME}:5: `tags` must be a list"),
    (("tags:", "tgas:"), f'{NAME}:5: unknown front-matter key "tgas" — did you mean "tags"?'),
    (("<!-- more -->", ""), f"{NAME}:7: the post has no excerpt marker — add a line `<!-- more -->`"),
    (("date: 2026-01-31\n", "date: 2026-01-31\ntitle: Heads: a tour\n"),
     f'{NAME}:3: the front matter is not valid YAML (mapping values are not allowed here) — a value that contains '
     '": " must be quoted, e.g. title: "Heads: a tour"'),
    (("tags: [QK circuit]", "tags: [QK circuit"), f"{NAME}:5: the front matter is not valid YAML (expected ',' or ']', "
                                                  "but got '<stream end>') — close the list with ]"),
    (("\n---\n\n# T", "\n\n# T"), f"{NAME}:1: the front matter opened here is never closed — add a line `---`"),
    (("tags: [QK circuit]\n", "tags: [QK circuit]\ndraft: maybe\n"), f"{NAME}:6: `draft` is true or false, not 'maybe'"),
    (("tags: [QK circuit]\n", "tags: [QK circuit]\ndraft: true\npin: false\n"), None),
])
def test_each_mistake_is_reported_with_line_and_fix(edit, expected):
    old, new = edit
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(expected), found


def test_no_front_matter_suggests_the_date_of_the_file_name():
    found = problems("# Title\n\nIntro\n\n<!-- more -->\n")
    assert found == [f"{NAME}:1: a post starts with front matter — add at its top:  ---  /  date: 2026-01-31  /  "
                     "categories: [Papers]  /  ---"]


def test_excerpt_marker_inside_code_does_not_count_and_optional_when_not_required():
    text = GOOD.replace("<!-- more -->", "```\n<!-- more -->\n```")
    assert any("no excerpt marker" in p for p in problems(text))
    assert problems(text, BlogRules(RULES.categories_allowed, RULES.authors, excerpt_separator=None)) == []


def test_front_matter_split_reports_body_line():
    source, found = split_front_matter(NAME, GOOD)
    assert found == [] and source.meta["categories"] == ["Papers"] and source.body_line == 7
    assert GOOD.split("\n")[source.body_line - 1] == source.body.split("\n")[0]


def test_missing_image_named_with_its_line_and_a_near_miss(tmp_path):
    (tmp_path / "assets" / "images").mkdir(parents=True)
    (tmp_path / "assets" / "images" / "avatar.svg").write_text("<svg/>")
    body = ("text\n\n![ok](../assets/images/avatar.svg)\n![web](https://example.org/a.png)\n"
            "`![code](nothere.png)`\n![typo](../assets/images/avtar.svg)\n<img src=\"img/none.png\">\n"
            "![generated](../figures/x.light.svg#only-light)\n")
    found = [str(p) for p in check_images(NAME, body, 10, "posts", tmp_path, frozenset({"figures/x.light.svg"}))]
    assert found == [
        f'{NAME}:15: image "../assets/images/avtar.svg" not found (looked for docs/assets/images/avtar.svg); did '
        'you mean "../assets/images/avatar.svg"? — put the file there, or fix the path (relative to the page\'s folder)',
        f'{NAME}:16: image "img/none.png" not found (looked for docs/posts/img/none.png) — put the file there, or fix '
        "the path (relative to the page's folder)",
    ]


def test_quotation_must_link_its_section():
    body = ('> "A claim."\n> — [§ Zero-Layer Transformers](https://transformer-circuits.pub/2021/framework/)\n\n'
            '> "Another."\n> — [§ Summary](https://transformer-circuits.pub/2021/framework/#summary-of-results)\n\n'
            "```\n> — [§ In code](https://example.org/)\n```\n")
    found = [str(p) for p in check_quotations(NAME, body, 7)]
    assert found == [f'{NAME}:8: the quotation\'s source "§ Zero-Layer Transformers" links the paper but not the '
                     "section — add the section's anchor to the link (…/#section-id; the paper's table of contents "
                     "links each heading)"]
