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


# --- front matter that PyYAML or Material's blog cannot take: one Problem each, never an exception ---------------

@pytest.mark.parametrize("date, expected", [
    ("2026-02-30", "`date: 2026-02-30` is not a real date (February has 28 days in 2026) — write a date that exists, "
                   "e.g. 2026-02-28"),
    ("2028-02-30", "(February has 29 days in 2028) — write a date that exists, e.g. 2028-02-29"),
    ("2026-04-31", "(April has 30 days in 2026) — write a date that exists, e.g. 2026-04-30"),
    ("2026-31-01", "(months run from 01 to 12) — write a date that exists, e.g. 2026-01-31"),
    ("2026-04-00", "(days start at 01) — write a date that exists, e.g. 2026-04-01"),
    ("0000-01-01", "(there is no year 0) — write a date that exists, e.g. 2026-01-31"),
    ("2026-01-31 24:00:00", "`date: 2026-01-31 24:00:00` is not a real time (hour must be in 0..23)"),
    ("2026-01-31T10:00:00+25:00", "is not a real time (a time zone is less than 24 hours from UTC)"),
    ("{created: 2026-02-30}", "`date: {created: 2026-02-30}` is not a real date (February has 28 days in 2026)"),
    ("!!int five", "`date: !!int five` cannot be read as int"),
])
def test_an_impossible_date_is_a_problem_with_its_line_not_a_crash(date, expected):
    text = GOOD.replace("date: 2026-01-31", f"date: {date}")
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"{NAME}:2: ") and expected in found[0], found
    assert split_front_matter(NAME, text)[1] == check_post(NAME, text, RULES)  # the strict build's own call


@pytest.mark.parametrize("value, expected", [
    ("[Papers", "(expected ',' or ']', but got ':') — close the list with ]"),
    ("{a: b", "(expected ',' or '}', but got ':') — close the mapping with }"),
    ('"Papers', "— close the quote on this line"),
])
def test_an_unclosed_list_mapping_or_quote_is_reported_where_it_opened(value, expected):
    text = GOOD.replace("categories: [Papers]", f"categories: {value}")  # line 4, before `tags:` on line 5
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"{NAME}:4: the front matter is not valid YAML") \
        and expected in found[0], found


@pytest.mark.parametrize("line, expected", [
    ("date: 2026-1-5", "`date: 2026-1-5` is not a date — write it as YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS) without "
                       "quotes, e.g. date: 2026-01-05"),
    ("date: 2026-01-31 10:00", "e.g. date: 2026-01-31 10:00:00"),
    ("date: '2026-01-31'", "`date: 2026-01-31` is not a date — write it as YYYY-MM-DD"),
    ("date: 20260131", "`date: 20260131` is not a date"),
    ("date: true", "`date: true` is not a date"),
    ("date:", "`date:` is empty — write the post's date, e.g. date: 2026-01-31"),
    ("date: {created: 2026-01-31, updated: soon}", "`updated: soon` is not a date"),
    ("date: &d {created: *d}", "`created: {…}` is not a date"),
    ("categories:", "`categories:` is empty — list at least one, e.g. categories: [Papers], or delete the line"),
    ("categories: [2026]", "`categories` must be a list of names (quote a name that is a number or a date)"),
    ("authors: [[circuits]]", "`authors` must be a list of names"),
    ("slug: 2026", '`slug` is text (the last part of the post\'s URL), not 2026 — quote it: slug: "2026"'),
    ("slug: [a, b]", "`slug` is text (the last part of the post's URL), not a list — e.g. slug: induction-heads"),
    ("description: yes", '`description` is one line of text, not true — quote it: description: "true"'),
    ("description: {a: b}", "`description` is one line of text, not a mapping"),
    ("title: 3.5", '`title` is text, not 3.5 — quote it: title: "3.5"'),
    ("readtime: five", "`readtime` is a whole number of minutes, not 'five' — e.g. readtime: 5"),
    ("readtime: true", "`readtime` is a whole number of minutes, not true"),
    ("pin: 1", "`pin` is true or false, not 1 — e.g. pin: true"),
    ("draft: [yes]", "`draft` is true or false, not a list"),
    ("tags: [[a]]", "`tags` must be a list of words or numbers, not a list holding a list"),
    ("tags: &t [*t]", "`tags` must be a list of words or numbers, not a list holding a list"),
    ("links: https://arxiv.org", "`links` is a list of links"),
    ("links: [/about/]", "not a list holding '/about/'"),
    ("links: [{Paper: 1}]", "not a list holding a mapping"),
    ("hide: toc", "`hide` must be a list, not 'toc' — e.g. hide: [toc]"),
    ("hide:", "`hide` must be a list, not empty"),
])
def test_each_wrong_shape_is_one_problem_on_its_key_line(line, expected):
    key = line.split(":")[0]
    base = [f for f in GOOD.split("\n")[1:5] if not f.startswith(key + ":")]
    text = "---\n" + "\n".join([line, *base]) + "\n---\n\nIntro.\n\n<!-- more -->\n"
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"{NAME}:2: ") and expected in found[0], found


@pytest.mark.parametrize("line", [
    "date: 2026-01-31 10:00:00", "date: 2026-01-31T10:00:00+02:00", "date: {created: 2026-01-31, updated: 2026-02-01}",
    "pin: yes", "draft:", "pin:", "readtime: 5", "slug:", "slug: heads", "links: {Paper: https://arxiv.org}",
    "links: [{Paper: https://arxiv.org}, about.md, {More: [{A: a.md}]}]", "tags: [1.5, yes, QK]", "hide: [toc]",
])
def test_shapes_material_accepts_are_not_problems(line):
    key = line.split(":")[0]
    base = [f for f in GOOD.split("\n")[1:5] if not f.startswith(key + ":")]
    assert problems("---\n" + "\n".join([line, *base]) + "\n---\n\n<!-- more -->\n") == []


_KEYS = ("date", "authors", "categories", "tags", "slug", "description", "draft", "pin", "readtime", "links", "hide",
         "title")
_VALUES = ("", "~", "2026-02-30", "2026-13-01", "0000-01-01", "2026-01-31 25:00:00", "20260131", "2026-01-31 10:00",
           "'2026-01-31'", "true", "no", "3", "-1", "3.5", ".nan", "x", "[]", "{}", "[a, b]", "[Papers]", "[circuits]",
           "[1, 2]", "[[a]]", "[null]", "[true]", "[{a: b}]", "[{a: 1}]", "{a: b}", "{created: 2026-02-30}",
           "{created: x}", "[2026-02-30]", "[Papers", "{a: b", '"open', "a: b", "*nothing", "!!int five", "!!bool maybe",
           "!!timestamp x", "!!binary aGk=", "!!set {a}", "!!python/name:os.system", "&a [*a]", "[/about/]",
           "|\n  text", "[" * 400 + "]" * 400)


def _material_refuses(block: str) -> bool:
    """What Material's blog does with this front matter: refuse it (or crash on it), or take it."""
    import yaml
    config = pytest.importorskip("material.plugins.blog.structure.config")
    tag_set = pytest.importorskip("material.plugins.tags.structure.tag.options")
    try:
        meta = yaml.safe_load(block) or {}
        post = config.PostConfig("p.md")
        post.load_dict({k: meta[k] for k in set(meta) & set(post.keys())})
        errors, _ = post.validate()
        tag_set.TagSet().validate(meta.get("tags"))
        hide = meta.get("hide", [])
        if "navigation" not in hide:
            hide.append("navigation")
    except Exception:  # noqa: BLE001 — Material turns these into "Error reading metadata", or crashes
        return True
    return bool(errors)


def test_no_front_matter_raises_and_each_one_material_refuses_is_reported_on_its_line():
    base = {"date": "date: 2026-01-31", "authors": "authors: [circuits]", "categories": "categories: [Papers]"}
    checked = 0
    for key in _KEYS:
        for value in _VALUES:
            fields = [f"{key}: {value}", *(line for k, line in base.items() if k != key), "tags: [QK]" * (key != "tags")]
            block = "\n".join(f for f in fields if f)
            text = f"---\n{block}\n---\n\nIntro.\n\n<!-- more -->\n"
            found = check_post(NAME, text, RULES)  # must not raise
            split_front_matter(NAME, text)
            assert all(p.line == 2 for p in found), (key, value, [str(p) for p in found])
            if _material_refuses(block):
                assert found, (key, value)
            checked += 1
    assert checked == len(_KEYS) * len(_VALUES)


def test_project_language_in_prose_is_refused_with_its_line_but_code_and_links_are_left_alone():
    from scripts.engine.preflight import check_project_language

    body = ("Intro.\n\nThe causal-evidence issue will test it.\n\nAs issue #13 asks, and (#13) again.\n\n"
            "```python\nx = 1  # issue #13\n```\n\nSee [the anchor](page.md#13-results) and `#13`.\n"
            "The chip's hover lists each seed.\n")
    found = check_project_language("docs/posts/x.md", body, 5)
    assert [(p.line, p.message.split('"')[1]) for p in found] == [
        (7, "The causal-evidence issue will"), (9, "issue #13"), (9, "(#13)"), (16, "The chip's hover")]


def test_a_site_built_for_publishing_must_not_point_at_localhost():
    from scripts.engine.preflight import check_site_url

    assert check_site_url("https://example.github.io/circuits/", "mkdocs.yml") == []
    for local in ("http://127.0.0.1:8000/", "http://localhost:8000/", "", None):
        [problem] = check_site_url(local, "mkdocs.yml")
        assert "SITE_URL=https://" in problem.message


def test_a_site_built_for_publishing_must_name_its_repository():
    from scripts.engine.preflight import check_repo_url

    assert check_repo_url("https://github.com/owner/circuits", "mkdocs.yml") == []
    for missing in ("", None, "github.com/owner/circuits"):
        [problem] = check_repo_url(missing, "mkdocs.yml")
        assert "REPO_URL=https://" in problem.message



def test_project_language_is_refused_in_what_figures_publish_too(tmp_path):
    """Captions, claims and the tables a script computes reach readers as much as a post's prose does."""
    import pathlib

    from scripts.engine.declarations import Job
    from scripts.engine.preflight import check_figure_language

    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.yml").write_text("a:\n  caption: >-\n    The seeds, as issue #13 asked.\n")
    (tmp_path / "s.py").write_text('"""A figure."""\n\nROWS = [["old fast probe (before #22)", 1]]\n')
    job = Job(id="a", kind="figure", script=pathlib.Path("s.py"), declared_in=pathlib.Path("figures/a.yml"),
              caption="The seeds, as issue #13 asked.", alt="bars",
              verdicts={"k": {"claim": "Heads copy.", "statistic": "z", "rule": "> 1"}})
    record = {"values": {"n": "12"}, "tables": {"t": {"caption": "Probes.", "columns": ["probe", "bits"],
                                                      "rows": [["old fast probe (before #22)", "1.0"]]}}}
    found = [(p.path, p.line, p.message.split('"')[1]) for p in check_figure_language(job, tmp_path, record)]
    assert found == [("figures/a.yml", 3, "issue #13"), ("s.py", 3, "#22")]
    clean = {"values": {"n": "12"}, "tables": {"t": {"caption": "Probes.", "columns": ["probe"], "rows": [["x"]]}}}
    assert check_figure_language(Job(id="a", kind="figure", script=pathlib.Path("s.py"),
                                     declared_in=pathlib.Path("figures/a.yml"), caption="Bars.", alt="b"),
                                 tmp_path, clean) == []
