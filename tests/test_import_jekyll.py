"""Jekyll import, checked against real Jekyll: each fixture post is rendered by Jekyll and, after import, by our
site; what a reader gets must be equal, or each difference a line of the importer's report.

The fixture site (tests/fixtures/jekyll/academic-site) holds posts shaped like the popular academic themes — a
research-note draft, academicpages/minimal-mistakes, al-folio, Chirpy, tufte-jekyll — with stub includes and
plugin tags. Jekyll renders all of them in one `jekyll build`; our side imports the whole `_posts/` folder in
one call into a minimal copy of this site (its mkdocs.yml with the figures plugin, and assets, no other posts) and
renders it with one `mkdocs build`. Without Debian's `jekyll` the differential tests are skipped, unless CI is set.
"""

from __future__ import annotations

import os
import pathlib
import posixpath
import re
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import JEKYLL_MISSING, REPO
from tests.jekyll_diff import compare, parse, reader_view, unexplained
from tests.mini_site import build, mini_project

SITE = REPO / "tests" / "fixtures" / "jekyll" / "academic-site"
POSTS = sorted(p.name for p in (SITE / "_posts").glob("*.md"))
SITE_URL = "https://notes.example.org"  # url: in the fixture site's _config.yml


def jekyll_or_skip() -> str:
    path = shutil.which("jekyll")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but `jekyll` is missing: .ci/run installs it (apt-get install jekyll)")
        pytest.skip(JEKYLL_MISSING)
    return path


def test_without_jekyll_the_summary_says_they_were_skipped_and_how_to_run_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PATH": str(tmp_path)}  # no jekyll on PATH
    node = f"{pathlib.Path(__file__).relative_to(REPO)}::test_nested_three_space_lists_stay_nested"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", node], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "SKIPPED [1] tests/test_import_jekyll.py:" in proc.stdout  # pytest's -ra summary, with the reason
    assert proc.stdout.count(JEKYLL_MISSING) == 2 and f"{JEKYLL_MISSING} (1 tests)" in proc.stdout  # and the hook's


class Rendered:
    """Both renderings of every fixture post, and the import that produced ours."""

    def __init__(self, tmp: pathlib.Path):
        from scripts.authoring.import_jekyll import import_paths, report

        jekyll = jekyll_or_skip()
        t0 = time.perf_counter()
        out = tmp / "jekyll-site"
        proc = subprocess.run([jekyll, "build", "--quiet", "--disable-disk-cache", "-s", str(SITE), "-d", str(out)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        self.jekyll_seconds = time.perf_counter() - t0
        self.jekyll: dict[str, tuple[str, object]] = {}
        for f in out.rglob("*.html"):
            art = parse(f.read_text(encoding="utf-8")).find(lambda n: n.tag == "article" and "data-source" in n.attrs)
            if art is not None:
                name = pathlib.PurePosixPath(art.attrs["data-source"]).name
                self.jekyll[name] = ("/" + f.relative_to(out).as_posix(), art)

        t0 = time.perf_counter()
        self.project = mini_project(tmp / "ours")
        self.batch = import_paths([SITE], root=self.project)
        self.report = report(self.batch, self.project)
        self.import_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.site = tmp / "ours-site"
        self.build = build(self.project, self.site, strict=False)
        assert self.build.returncode == 0, self.build.stderr[-3000:]
        self.mkdocs_seconds = time.perf_counter() - t0
        self.ours: dict[str, tuple[str, object]] = {}
        self.imported = {p.source.name: p for p in self.batch.posts}
        for name, p in self.imported.items():
            date = p.front["date"]["created"] if isinstance(p.front["date"], dict) else p.front["date"]
            url = f"{date:%Y/%m/%d}/{p.front['slug']}/"
            page = parse((self.site / url / "index.html").read_text(encoding="utf-8"))
            self.ours[name] = (url, page.find(lambda n: n.tag == "article" and "md-content__inner" in n.classes()))

    def jekyll_link(self, href: str) -> str:
        href = href.removeprefix(SITE_URL)  # the fixture site's own absolute URLs ({{ site.url }}…)
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|#)", href, re.I):
            return href
        key = re.sub(r"(index)?\.html$", "", href.split("#")[0]).rstrip("/")
        for name, (url, _) in self.jekyll.items():
            if re.sub(r"(index)?\.html$", "", url).rstrip("/") == key:
                return name
        return posixpath.basename(key)

    def our_link(self, page_url: str, href: str) -> str:
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|#)", href, re.I):
            return href
        target = posixpath.normpath(posixpath.join(page_url, href.split("#")[0])).rstrip("/")
        for name, (url, _) in self.ours.items():
            if url.rstrip("/") == target:
                return name
        return posixpath.basename(target)

    def views(self, name: str):
        j_url, j_art = self.jekyll[name]
        o_url, o_art = self.ours[name]
        jv = reader_view(j_art, "jekyll", self.jekyll_link)
        jv.title = j_art.find(lambda n: n.tag == "h1").text()
        ov = reader_view(o_art, "ours", lambda href: self.our_link(o_url, href))
        ov.title = o_art.find(lambda n: n.tag == "h1").text().replace("¶", "")
        return jv, ov

    def report_for(self, name: str) -> list[str]:
        return [f.render(name) for f in self.imported[name].findings]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    return Rendered(tmp_path_factory.mktemp("jekyll-diff"))


@pytest.mark.parametrize("name", POSTS)
def test_reader_gets_what_jekyll_gave_or_the_report_says_why(rendered, name):
    jekyll, ours = rendered.views(name)
    diffs = compare(jekyll, ours)
    missing = unexplained(diffs, rendered.report_for(name))
    assert not missing, "\n".join(f"{d.kind}: {d.detail}" for d in missing) + "\n-- report:\n" + "\n".join(
        rendered.report_for(name))
    # the comparison saw the post's content, not an empty page
    assert sum(jekyll.words.values()) > 50 and sum(ours.words.values()) > 50


def test_imported_posts_pass_the_strict_checks_and_their_images_exist(rendered):
    """The build is not strict (pages other posts' features generate may link pages the copy leaves out), so
    the checks a strict build makes of a post are run here, and the build must log nothing about our posts."""
    from scripts.engine.preflight import BlogRules, check_images, check_post, check_quotations, split_front_matter

    ours = [line for line in rendered.build.stderr.splitlines()
            if re.match(r"(WARNING|ERROR)", line) and "posts/2024-" in line]
    assert not ours, "\n".join(ours)
    rules = BlogRules(categories_allowed=("Papers", "Methods", "Site"), authors=frozenset({"circuits"}))
    docs = rendered.project / "docs"
    for p in rendered.batch.posts:
        display, text = f"docs/posts/{p.path.name}", p.path.read_text()
        source, _ = split_front_matter(display, text)
        problems = (check_post(display, text, rules) + check_quotations(display, source.body, source.body_line)
                    + check_images(display, source.body, source.body_line, "posts", docs))
        assert not problems, "\n".join(map(str, problems))
    for name, (url, article) in rendered.ours.items():
        for img in (n for n in article.walk() if n.tag == "img"):
            src = img.attrs["src"].split("#")[0]
            assert (rendered.site / posixpath.normpath(posixpath.join(url, src))).is_file(), f"{name}: {src}"


# -- the seven losses of issue #15, one by one -------------------------------------------------------------

def _article(rendered, name):
    return rendered.ours[name][1]


def _md(rendered, name) -> str:
    return rendered.imported[name].path.read_text()


def test_display_math_in_indented_list_items_stays_in_its_item(rendered):
    name = "2024-02-10-reading-note-draft.md"
    items = [n for n in _article(rendered, name).walk() if n.tag == "li"]
    in_items = [m.text() for li in items for m in li.walk() if m.tag == "div" and "arithmatex" in m.classes()]
    assert any("x_{i+1} = x_i" in t for t in in_items) and any("W_{OV}^h = W_O^h W_V^h" in t for t in in_items)
    assert "\n    $$\n    W_{OV}^h = W_O^h W_V^h\n    $$\n" in _md(rendered, name)


def test_kramdown_inline_double_dollars_are_inline_math(rendered):
    article = _article(rendered, "2024-02-10-reading-note-draft.md")
    spans = [m.text() for m in article.walk() if m.tag == "span" and "arithmatex" in m.classes()]
    assert r"\(L\)" in spans and r"\(d_{head}\)" in spans and r"\(W_U W_{OV}^h W_E\)" in spans
    assert "$$" not in article.text()


def test_figure_includes_keep_their_images_captions_and_alt_text(rendered):
    name = "2024-04-12-induction-heads-gallery.md"
    images = {n.attrs["src"].rsplit("/", 1)[-1]: n.attrs.get("alt") for n in _article(rendered, name).walk()
              if n.tag == "img"}
    assert all(f"head-{k}.png" in images for k in range(1, 8)), images
    assert images["head-2.png"] == "Layer zero, head one"
    assert "All heads of layer one, averaged over 64 sequences." in _article(rendered, name).text()
    assert all((rendered.project / "docs" / "assets" / "img" / f"head-{k}.png").is_file() for k in range(1, 8))


def test_newthought_keeps_its_text(rendered):
    assert "Features outnumber dimensions in every model" in " ".join(
        _article(rendered, "2024-06-01-margin-notes.md").text().split())


def test_liquid_inside_code_and_raw_blocks_is_kept_as_written(rendered):
    name = "2024-03-05-composition-review.md"
    article = _article(rendered, name)
    code = [n.text() for n in article.walk() if n.tag == "code"]
    assert any('<a href="{{ site.url }}{{ site.baseurl }}/">Home</a>' in c for c in code)
    assert "{% include toc %}" in code
    assert any("{% for post in site.posts limit: 3 %}" in c and "{{ post.title }}" in c for c in code)
    assert "In templates it is written {{ page.title }}." in " ".join(article.text().split())


def test_highlight_keeps_its_language_and_line_numbers(rendered):
    name = "2024-04-12-induction-heads-gallery.md"
    assert '```c++ linenums="1"\n#include <vector>' in _md(rendered, name)
    table = _article(rendered, name).find(lambda n: "highlighttable" in n.classes())
    assert table is not None and table.find(lambda n: "linenos" in n.classes()) is not None
    keywords = [n.text() for n in table.walk() if n.tag == "span" and "k" in n.classes()]
    assert "template" in keywords and "class" in keywords  # C++ keywords, not C's


def test_nested_three_space_lists_stay_nested(rendered):
    article = _article(rendered, "2024-02-10-reading-note-draft.md")
    deepest = [n for n in article.walk() if n.tag == "li" and "and if so, what its rank says" in n.text()][-1]
    assert sum(1 for a in deepest.ancestors() if a.tag == "ul") == 3


# -- the comparison itself can fail ------------------------------------------------------------------------

@pytest.mark.parametrize("mutation", ["image", "math", "word", "nested list", "code text", "language", "link"])
def test_comparison_catches_each_kind_of_loss(rendered, mutation):
    """Damage our rendering of a post in one way; the comparison must report it and the report not explain it."""
    import copy

    name = {"image": "2024-04-12-induction-heads-gallery.md", "language": "2024-04-12-induction-heads-gallery.md",
            "link": "2024-04-12-induction-heads-gallery.md"}.get(mutation, "2024-02-10-reading-note-draft.md")
    url, article = rendered.ours[name]
    article = copy.deepcopy(article)

    def drop(pred):
        node = article.find(pred)
        node.parent.children.remove(node)

    if mutation == "image":
        drop(lambda n: n.tag == "img" and "head-5" in n.attrs.get("src", ""))
    elif mutation == "math":
        drop(lambda n: "arithmatex" in n.classes() and n.tag == "div")
    elif mutation == "word":
        p = article.find(lambda n: n.tag == "p" and "rough" in n.text())
        p.children[0] = p.children[0].replace("rough", "")
    elif mutation == "nested list":
        inner = article.find(lambda n: n.tag == "ul" and n.parent.tag == "li")
        outer = inner.parent.parent
        inner.parent.children.remove(inner)
        for child in inner.children:
            if not isinstance(child, str):
                child.parent = outer
        outer.children += inner.children
    elif mutation == "code text":
        code = article.find(lambda n: n.tag == "code" and "torch" in n.text())
        code.children.append("print('changed')\n")
    elif mutation == "language":
        for n in article.walk():
            if n.tag == "span" and "k" in n.classes():
                n.attrs["class"] = "n"
    elif mutation == "link":
        a = article.find(lambda n: n.tag == "a" and n.text() == "composition review")
        a.attrs["href"] = "../../../../2024/02/10/reading-note-draft/"
    jekyll, _ = rendered.views(name)
    ours = reader_view(article, "ours", lambda href: rendered.our_link(url, href))
    ours.title = jekyll.title
    missing = unexplained(compare(jekyll, ours), rendered.report_for(name))
    assert missing, f"the comparison did not notice the damage ({mutation})"


# -- folders, reports, --dry-run and --strict --------------------------------------------------------------

def _jekyll_site(root: pathlib.Path, posts: dict[str, str], files: dict[str, bytes] | None = None) -> pathlib.Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text('url: "https://me.example.net"\nbaseurl: "/blog"\n')
    for name, text in posts.items():
        (root / "_posts" / name).write_text(text)
    for rel, data in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _project(tmp: pathlib.Path) -> pathlib.Path:
    (tmp / "docs" / "posts").mkdir(parents=True)
    shutil.copy(REPO / "docs" / ".authors.yml", tmp / "docs" / ".authors.yml")
    shutil.copy(REPO / "docs" / "references.bib", tmp / "docs" / "references.bib")
    return tmp


def _tree(root: pathlib.Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


GOOD = "---\ntitle: Good\n---\n\nA paragraph with ![a plot]({{ site.baseurl }}/img/plot.png).\n"
LOSSY = ("---\ntitle: Lossy\n---\n\nIntro.\n\n{% include figure.html path=\"img/none.png\" caption=\"Gone\" %}\n\n"
         "![missing](/img/nope.png)\n\n{% include newsletter.html list=\"weekly\" %}\n")


def test_a_whole_site_is_imported_with_its_files_and_the_missing_ones_are_reported(tmp_path, capsys):
    from scripts.authoring.import_jekyll import main

    site = _jekyll_site(tmp_path / "site", {"2024-01-02-good.md": GOOD, "2024-01-03-lossy.md": LOSSY,
                                            "notes.txt": "not a post"}, {"img/plot.png": b"\x89PNG plot"})
    project = _project(tmp_path / "p")
    assert main([str(site), "--root", str(project)]) == 0
    out = capsys.readouterr().out
    good = (project / "docs" / "posts" / "2024-01-02-good.md").read_text()
    assert "![a plot](../img/plot.png)" in good
    assert (project / "docs" / "img" / "plot.png").read_bytes() == b"\x89PNG plot"
    lossy = site / "_posts" / "2024-01-03-lossy.md"
    assert f"{lossy}:7: lost: image /img/none.png not found in the Jekyll site" in out
    assert f"{lossy}:9: lost: image /img/nope.png not found in the Jekyll site" in out
    assert f'{lossy}:11: lost: {{% include newsletter.html list="weekly" %}} removed' in out
    assert "skipped" in out and "notes.txt" in out
    assert "2 post(s), 3 loss(es)" in out


def test_dry_run_prints_the_report_and_writes_nothing(tmp_path, capsys):
    from scripts.authoring import import_jekyll

    site = _jekyll_site(tmp_path / "site", {"2024-01-03-lossy.md": LOSSY})
    project = _project(tmp_path / "p")
    before = _tree(project)
    assert import_jekyll.main([str(site / "_posts"), "--dry-run", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert "would create docs/posts/2024-01-03-lossy.md" in out and ":9: lost: image /img/nope.png" in out
    assert _tree(project) == before


def test_strict_refuses_to_write_when_anything_would_be_lost(tmp_path, capsys):
    from scripts.authoring import import_jekyll

    site = _jekyll_site(tmp_path / "site", {"2024-01-02-good.md": GOOD, "2024-01-03-lossy.md": LOSSY},
                        {"img/plot.png": b"png"})
    project = _project(tmp_path / "p")
    before = _tree(project)
    assert import_jekyll.main([str(site), "--strict", "--root", str(project)]) == 1
    captured = capsys.readouterr()
    assert "3 element(s) would be lost; nothing was written" in captured.err
    assert _tree(project) == before
    assert import_jekyll.main([str(site / "_posts" / "2024-01-02-good.md"), "--strict", "--root", str(project)]) == 0
    assert (project / "docs" / "posts" / "2024-01-02-good.md").exists()


@pytest.mark.parametrize("case", ["not utf-8", "no front matter", "bad yaml", "no such file", "unreadable",
                                  "empty folder", "exists", "file conflict", "two become one"])
def test_bad_input_is_one_clear_error_and_nothing_is_written(tmp_path, monkeypatch, case):
    from scripts.authoring.import_jekyll import ImportError_, import_paths

    site = _jekyll_site(tmp_path / "site", {"2024-01-02-good.md": GOOD}, {"img/plot.png": b"png"})
    project = _project(tmp_path / "p")
    post = site / "_posts" / "2024-01-05-bad.md"
    source = site
    if case == "not utf-8":
        post.write_bytes(b"---\ntitle: T\n---\n\nCaf\xe9 au lait.\n")
        expected = r"2024-01-05-bad.md:5: not UTF-8 text \(byte 0xe9\) — save the file as UTF-8"
    elif case == "no front matter":
        post.write_text("Just text.\n")
        expected = r"2024-01-05-bad.md:1: no front matter .* add one with a title"
    elif case == "bad yaml":
        post.write_text("---\ntitle: Heads: a tour\n---\n\nText.\n")
        expected = r"2024-01-05-bad.md:2: the front matter is not valid YAML .* must be quoted"
    elif case == "no such file":
        source = site / "_posts" / "2024-01-09-typo.md"
        expected = r"2024-01-09-typo.md: no such file or folder — check the path"
    elif case == "unreadable":
        post.write_text(GOOD)
        real = pathlib.Path.read_bytes
        monkeypatch.setattr(pathlib.Path, "read_bytes",
                            lambda self: (_ for _ in ()).throw(PermissionError(13, "denied"))
                            if self.name == post.name else real(self))
        expected = r"2024-01-05-bad.md: cannot be read \(permission denied\) — check the file's permissions"
    elif case == "empty folder":
        source = tmp_path / "empty"
        source.mkdir()
        expected = r"empty: no Jekyll posts here .* give a post file, a Jekyll site folder or its _posts folder"
    elif case == "exists":
        (project / "docs" / "posts" / "2024-01-02-good.md").write_text("mine\n")
        expected = r"docs/posts/2024-01-02-good.md already exists; remove it or change the slug"
    elif case == "file conflict":
        (project / "docs" / "img").mkdir()
        (project / "docs" / "img" / "plot.png").write_bytes(b"another picture")
        expected = r"img/plot.png: would overwrite docs/img/plot.png, a different file already there"
    else:
        (site / "_posts" / "2024-01-02-other.md").write_text("---\ntitle: Other\npermalink: /good/\n---\n\nText.\n")
        expected = r"would both become docs/posts/2024-01-02-good.md"
    before = _tree(project)
    with pytest.raises(ImportError_, match=expected):
        import_paths([source], root=project)
    assert _tree(project) == before


def test_a_post_linking_a_post_not_imported_says_so(tmp_path):
    from scripts.authoring.import_jekyll import import_paths

    site = _jekyll_site(tmp_path / "site", {
        "2024-01-02-first.md": "---\ntitle: First\n---\n\nSee [the second]({% post_url 2024-01-04-second %}).\n",
        "2024-01-04-second.md":
            "---\ntitle: Second\n---\n\nBack to [the first]({{ site.baseurl }}/2024/01/02/first.html).\n"})
    project = _project(tmp_path / "p")
    first = import_paths([site / "_posts" / "2024-01-02-first.md"], root=project).posts[0]
    assert "[the second](2024-01-04-second.md)" in first.body
    assert any("not imported yet" in m for m in first.not_mapped)
    second = import_paths([site / "_posts" / "2024-01-04-second.md"], root=project).posts[0]
    assert "[the first](2024-01-02-first.md)" in second.body and not second.findings


# -- Liquid and kramdown details ---------------------------------------------------------------------------

def _convert(tmp_path, body: str, front: str = "title: T\n", config: str | None = None):
    from scripts.authoring.import_jekyll import JekyllSite, bibliography_keys, convert

    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    if config is not None:
        (root / "_config.yml").write_text(config)
    post = root / "_posts" / "2024-02-03-t.md"
    post.write_text(f"---\n{front}---\n{body}")
    return convert(post, docs_dir=REPO / "docs", authors={"circuits"}, site=JekyllSite.around(post),
                   bib_keys=bibliography_keys(REPO / "docs"))


def test_liquid_in_code_is_never_rewritten_and_the_report_says_jekyll_would_have(tmp_path):
    r = _convert(tmp_path, "\n```html\n<a href=\"{{ site.url }}\">{% if x %}x{% endif %}</a>\n```\n\n"
                           "Use `{{ page.title }}` here.\n", config="url: https://x.example.net\n")
    assert '<a href="{{ site.url }}">{% if x %}x{% endif %}</a>' in r.body and "`{{ page.title }}`" in r.body
    notes = [f for f in r.findings if "inside code kept as written" in f.message]
    assert [f.line for f in notes] == [6, 6, 6, 9] and not any(f.lost for f in notes)


def test_highlight_options_and_unknown_languages(tmp_path):
    r = _convert(tmp_path, "\n{% highlight ruby linenos mark_lines=\"2 3\" %}\na = 1\nb = {{ x }}\n"
                           "{% endhighlight %}\n\n"
                           "{% highlight klingon %}\nqapla'\n{% endhighlight %}\n")
    assert '```ruby linenums="1" hl_lines="2 3"\na = 1\nb = {{ x }}\n```' in r.body
    assert "```klingon\nqapla'\n```" in r.body
    assert any("`klingon` is unknown to Pygments" in m for m in r.not_mapped)
    assert any("inside a highlight block kept as written" in m for m in r.not_mapped)


def test_citations_variables_and_tags_without_equivalent(tmp_path):
    r = _convert(tmp_path, "\nAs shown {% cite olsson2022induction elhage2021framework --locator 4 %} and "
                           "{% cite nobody1999 %}. Site {{ site.title | upcase }} by {{ site.author }}.\n\n"
                           "{% if page.x %}\nMaybe.\n{% endif %}\n{% gallery %}\n",
                 config="title: My notes\nauthor: Ada\n")
    assert "[@olsson2022induction, 4; @elhage2021framework]" in r.body and "(nobody1999)" in r.body
    assert "Site MY NOTES by Ada." in r.body and "Maybe." in r.body and "gallery" not in r.body
    lost = {f.line: f.message for f in r.findings if f.lost}
    assert 'citation "nobody1999" is not in docs/references.bib' in lost[5]
    assert lost[7].startswith("Liquid {% if page.x %} was not evaluated") and "{% gallery %} removed" in lost[10]


def test_kramdown_shapes(tmp_path):
    r = _convert(tmp_path, "\nA list right after text:\n* one\n* two\n\n#NoSpace is not a heading\n\n"
                           "Some text.\n{: .notice--danger}\n\n> Quoted $$a$$.\n{: .prompt-tip }\n\n"
                           "    indented code\n{: .language-python}\n\n- [x] done\n- [ ] todo\n\n"
                           "Inline $ x + y $ and $$z$$.\n\nMore<!--more-->\n",
                 front="title: T\nexcerpt_separator: <!--more-->\n")
    body = r.body
    assert "A list right after text:\n\n* one\n* two" in body
    assert "\\#NoSpace is not a heading" in body
    assert '!!! danger ""\n    Some text.' in body and '!!! tip ""\n    Quoted $a$.' in body
    assert "```python\nindented code\n```" in body
    assert "- ☑ done\n- ☐ todo" in body
    assert "Inline $x + y$ and $z$." in body and "More\n\n<!-- more -->" in body
    assert body.count("<!-- more -->") == 1
