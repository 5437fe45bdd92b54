"""The site builds strictly, shows computed figures, and a broken page fails the build with its line."""

from __future__ import annotations

import json
import os
import subprocess

from tests.conftest import BIN, REPO, copy_project, mkdocs_build


def test_strict_build_has_figures_values_math_feed_and_notebook(built_site):
    post = next(built_site.glob("20*/*/*/superposition/index.html")).read_text()
    n = post.count('class="computed-figure"')
    assert n == 4
    assert all(f"<strong>Figure {k}.</strong>" in post for k in range(1, n + 1))
    assert 'class="computed-value"' in post and "{{" not in post
    assert 'class="arithmatex"' in post
    assert (built_site / "figures" / "near-orthogonal.light.svg").exists()
    assert (built_site / "assets" / "mathjax" / "tex-svg.js").exists()
    rss = (built_site / "feed_rss_created.xml").read_text()
    assert "superposition" in rss
    notebook = (built_site / "notebooks" / "near_orthogonal" / "index.html").read_text()
    assert "1/sqrt(d) = 0.5000" in notebook  # an output of the executed notebook, not just its code
    assert 'src="data:image/png;base64,' in notebook  # the plot the notebook drew


def test_every_post_ends_with_its_updates_and_corrections(built_site):
    """Read from git (corrections.py): each post says when it was published and, one line per later date, what
    changed; the channel note, corrected after a review, lists a verdict that moved, linked to its history."""
    import re

    posts = sorted(built_site.glob("20*/*/*/*/index.html"))
    assert len(posts) >= 8
    for post in posts:
        html = post.read_text()
        assert 'id="updates-and-corrections"' in html, post
        assert re.search(r"Published 2026-\d\d-\d\d\.", html), post
    channel = next(p for p in posts if p.parent.name == "channel").read_text()
    section = channel.split('id="updates-and-corrections"')[1]
    assert re.search(r'<li><a href="[./]*claims-history/#history-[a-z0-9-]+">[^<]+</a>: \w+[^<]* → \w+', section)


def test_values_on_the_page_are_the_scripts_numbers(built_site):
    values = json.loads((REPO / "figures" / "out" / "near-orthogonal.json").read_text())["values"]
    post = next(built_site.glob("20*/*/*/superposition/index.html")).read_text()
    assert f">{values['std_largest_d']}</span>" in post


def test_unknown_figure_id_fails_strict_build_naming_page_and_line(tmp_path):
    project = copy_project(tmp_path / "p")
    (project / "docs" / "posts" / "broken.md").write_text(
        "---\ndate: 2026-01-01\ncategories: [Site]\n---\n\n# Broken\n\nIntro.\n<!-- more -->\n\n"
        '{{ figure("no-such-figure") }}\n')
    proc = mkdocs_build(project, tmp_path / "site")
    assert proc.returncode != 0
    assert 'posts/broken.md:11: unknown figure id "no-such-figure"' in proc.stderr


def test_publishing_without_building_uses_committed_figures(tmp_path):
    """FIGURES_BUILD=0 is how the Pages workflow builds without torch: nothing is computed."""
    project = copy_project(tmp_path / "p")
    (project / "scripts" / "analysis" / "geometry.py").write_text("raise SystemExit('must not run')\n")
    env = {**os.environ, "FIGURES_BUILD": "0", "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-d", str(tmp_path / "site")], cwd=project,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "figures" / "near-orthogonal.dark.svg").exists()


def test_noop_build_never_imports_torch(tmp_path):
    """With every figure fresh, building the site must not import torch (a stand-in torch raises)."""
    fake = tmp_path / "fake"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text("raise ImportError('torch imported during a no-op build')\n")
    env = {**os.environ, "PYTHONPATH": str(fake), "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-d", str(tmp_path / "site")], cwd=REPO,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "torch imported" not in proc.stderr


def test_new_note_scaffold_builds_with_its_figure_and_value(tmp_path):
    """What a newcomer does: one command, then a strict build shows the new post with its computed figure."""
    import datetime

    from scripts.authoring.new_note import scaffold
    from scripts.engine.errors import EngineError

    project = copy_project(tmp_path / "p")
    paths = scaffold("Attention sinks, checked", root=project, paper="https://example.org/paper",
                     date=datetime.date(2026, 11, 22))
    assert [p.name for p in paths] == ["2026-11-22-attention-sinks-checked.md", "attention_sinks_checked.py",
                                       "attention-sinks-checked.yml", "test_claims_attention_sinks_checked.py"]
    # As scaffolded, the note is a draft whose placeholders stop a strict build, each named with its line.
    proc = mkdocs_build(project, tmp_path / "site")
    assert proc.returncode != 0 and "2026-11-22-attention-sinks-checked.md:" in proc.stderr
    assert "placeholder" in proc.stderr and "example.org" in proc.stderr
    # The author writes the note: every placeholder replaced, the example.org link made real, the draft line gone.
    from scripts.engine.preflight import PLACEHOLDERS

    post = paths[0]
    text = post.read_text()
    for f in paths[1:]:  # the example claim gets its real key everywhere: declaration, script, test stub
        f.write_text(f.read_text().replace("example-claim", "head-is-sharp"))
    text = text.replace("example-claim", "head-is-sharp")
    for i, phrase in enumerate(PLACEHOLDERS):
        text = text.replace(phrase, "§ Induction Heads" if phrase.startswith("§") else
                            "#induction-heads" if phrase.startswith("#") else f"The author's own sentence {i}.")
    text = text.replace("https://example.org/paper", "https://transformer-circuits.pub/2021/framework/index.html")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("draft: true"))
    post.write_text(text + "\n")
    proc = mkdocs_build(project, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (tmp_path / "site" / "2026" / "11" / "22" / "attention-sinks-checked" / "index.html").read_text()
    assert 'id="fig-attention-sinks-checked-example"' in page and "<strong>Figure 1.</strong>" in page
    assert '<span class="computed-value"' in page and ">L1H" in page
    assert '<li id="ref-elhage2021framework" class="bib-entry">' in page  # its citation resolved
    try:
        scaffold("Attention sinks, checked", root=project)
    except EngineError as e:
        assert "already exists" in str(e)
    else:
        raise AssertionError("scaffold overwrote an existing note")


# -- importing Jekyll posts ---------------------------------------------------------------------------------

FIXTURES = REPO / "tests" / "fixtures" / "jekyll"


def test_jekyll_import_maps_front_matter_and_body(tmp_path):
    import datetime

    import yaml

    from scripts.authoring.import_jekyll import import_post

    project = copy_project(tmp_path / "p")
    a = import_post(FIXTURES / "2025-03-02-attention-notes.md", root=project)  # date from the file name only
    assert a.path.name == "2025-03-02-attention-notes.md"
    assert a.front["date"] == datetime.date(2025, 3, 2) and a.front["pin"] is True
    assert a.front["description"] == "Short notes on why heads are independent"
    assert a.front["title"] == "Attention, briefly"
    assert "front matter layout: 'post' not mapped (Material decides the layout)" in a.not_mapped
    assert "$y = \\sum_h A^h x W^h_{OV}$" in a.body and "$$\nW_{OV} = W_O W_V\n$$" in a.body
    assert a.body.startswith("# Attention, briefly") and "<!-- more -->" in a.body

    b = import_post(FIXTURES / "no-date-in-name.md", root=project)
    assert b.path.name == "2024-10-25-superposition-review.md"  # slug from the permalink
    assert b.front["tags"] == ["Superposition", "Toy Models", "Reading group"] and b.front["categories"] == ["Papers"]
    assert "```python\nimport torch" in b.body and "{%" not in b.body and "site.baseurl" not in b.body
    assert "](../images/blogs/toy.png)" in b.body and b.missing_images == ["/images/blogs/toy.png"]
    assert any("include" in r for r in b.not_mapped) and any("someone-else" in r for r in b.not_mapped)

    c = import_post(FIXTURES / "2023-01-09-odd-spacing.md", root=project)
    assert c.front["title"] == "Odd   spacing" and c.front["tags"] == ["circuits", "induction"]
    assert "{{ literal }}" in c.body and "raw" not in c.body
    assert yaml.safe_load(c.path.read_text().split("---")[1])["slug"] == "odd-spacing"

    # The imported posts build in strict mode once the missing image is supplied.
    (project / "docs" / "images" / "blogs").mkdir(parents=True)
    avatar = REPO / "docs" / "assets" / "images" / "avatar.svg"
    (project / "docs" / "images" / "blogs" / "toy.png").write_bytes(avatar.read_bytes())
    proc = mkdocs_build(project, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "site" / "2024" / "10" / "25" / "superposition-review" / "index.html").exists()


def test_jekyll_import_errors_name_the_file_and_the_fix(tmp_path):
    import pytest

    from scripts.authoring.import_jekyll import ImportError_, import_post

    project = copy_project(tmp_path / "p")
    with pytest.raises(ImportError_, match=r"undated.md: no date .* pass --date YYYY-MM-DD"):
        import_post(FIXTURES / "undated.md", root=project)
    with pytest.raises(ImportError_, match=r"broken.md:2: the front matter is not valid YAML"):
        import_post(FIXTURES / "broken.md", root=project)
    import_post(FIXTURES / "2025-03-02-attention-notes.md", root=project)
    with pytest.raises(ImportError_, match="already exists"):
        import_post(FIXTURES / "2025-03-02-attention-notes.md", root=project)


# -- errors that teach, and nothing already built is lost ------------------------------------------------

BROKEN_POST = ("---\ntitle: Heads: a tour\ndate: 2026-01-01\n---\n\n# Heads\n\nIntro.\n<!-- more -->\n")


def test_broken_post_stops_the_build_before_the_last_site_is_touched(tmp_path):
    project, site = copy_project(tmp_path / "p"), tmp_path / "site"
    assert mkdocs_build(project, site).returncode == 0
    before = {p: p.read_bytes() for p in (site / "index.html", site / "conventions" / "index.html")}
    (project / "docs" / "posts" / "2026-01-01-heads.md").write_text(BROKEN_POST)
    (project / "docs" / "posts" / "2026-01-02-typo.md").write_text(
        "---\ndate: 2026-01-02\ncategories: [Paper]\n---\n\n# Typo\n\nSee [@olsson2022inductin].\n<!-- more -->\n"
        "![plot](img/plot.png)\n")
    proc = mkdocs_build(project, site)
    assert proc.returncode != 0
    err = proc.stderr
    assert ('docs/posts/2026-01-01-heads.md:2: the front matter is not valid YAML (mapping values are not allowed '
            'here) — a value that contains ": " must be quoted, e.g. title: "Heads: a tour"') in err
    assert 'docs/posts/2026-01-02-typo.md:3: category "Paper" is not defined — did you mean "Papers"?' in err
    assert ('docs/posts/2026-01-02-typo.md:8: unknown citation key "olsson2022inductin"; did you mean '
            '"olsson2022induction"?') in err
    assert 'docs/posts/2026-01-02-typo.md:10: image "img/plot.png" not found' in err
    assert "Cleaning site directory" not in err
    assert {p: p.read_bytes() for p in before} == before  # the last good site is untouched


def test_serve_keeps_the_last_site_while_a_post_is_broken(tmp_path):
    """An author saves a half-written post under `mkdocs serve`: the error is printed with its line, the rest
    of the site stays live (MkDocs would hold every request after a failed build), and fixing the post brings
    it in."""
    import queue
    import threading
    import time
    import urllib.request

    from tests.conftest import free_port

    project = copy_project(tmp_path / "p")
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}", "--livereload"],
                              cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()

    def wait_for(text: str, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if text in lines.get(timeout=1):
                    return
            except queue.Empty:
                pass
        raise AssertionError(f"serve never printed {text!r}")

    def status(path: str) -> int:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status
        except urllib.error.HTTPError as e:
            return e.code
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0  # MkDocs holds requests while it rebuilds: on a busy machine that can exceed the timeout

    def eventually(path: str, code: int, timeout: float = 90) -> int:
        end = time.monotonic() + timeout
        while (got := status(path)) != code and time.monotonic() < end:
            time.sleep(0.5)
        return got

    try:
        wait_for("Serving on")
        post = project / "docs" / "posts" / "2026-01-01-heads.md"
        post.write_text(BROKEN_POST)
        wait_for("2026-01-01-heads.md:2: the front matter is not valid YAML")
        wait_for("left out of the preview until fixed: posts/2026-01-01-heads.md")
        wait_for("Reloading browsers")
        assert eventually("/", 200) == 200 and eventually("/conventions/", 200) == 200  # the rest is served
        assert eventually("/2026/01/01/heads-a-tour/", 404) == 404
        post.write_text(BROKEN_POST.replace("Heads: a tour", '"Heads: a tour"'))
        assert eventually("/2026/01/01/heads-a-tour/", 200) == 200  # slug from the title
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_conventions_page_shows_each_convention_live(built_site):
    page = (built_site / "conventions" / "index.html").read_text()
    for kind in ("confusion", "interest", "experiment", "verdict"):
        assert f'class="admonition {kind}"' in page
    assert 'class="admonition note inline end"' in page  # the margin note
    assert 'class="footnote"' in page and 'href="#fn:width"' in page
    assert '<a class="citation" href="#ref-olsson2022induction"' in page
    assert '<li id="ref-olsson2022induction" class="bib-entry">' in page
    assert 'href="https://transformer-circuits.pub/2021/framework/#residual-comms"' in page
    assert 'class="computed-figure"' in page and 'class="computed-value"' in page
    assert (built_site / "references.bib").exists()
    index = (built_site / "index.html").read_text()  # citations in excerpts point into their post
    assert '<a class="citation" href="2026/11/21/' in index and 'href="#ref-' not in index


def test_a_post_names_the_commit_its_figures_were_computed_at(tmp_path):
    """provenance.py: the last commit that changed the page's figure outputs, linked into the repository; a
    figure recomputed since is said to be uncommitted; no git, no line (a commit is never guessed)."""
    from scripts.engine import paths, provenance

    out = tmp_path / "figures" / "out"
    out.mkdir(parents=True)
    files = {fid: out / paths.values_name(fid) for fid in ("a", "b")}
    for f in files.values():
        f.write_text("{}\n")
    assert provenance.figures_line(tmp_path, out, ["a"], None) == ""  # not a repository: no line
    git = lambda *a: subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=tmp_path,
                                    check=True, capture_output=True, text=True).stdout.strip()
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "figures a and b")
    first = git("rev-parse", "HEAD")
    files["b"].write_text('{"v": 1}\n')
    git("commit", "-qam", "b recomputed")
    line = provenance.figures_line(tmp_path, out, ["a"], "https://example.org/circuits")
    assert f'<a href="https://example.org/circuits/tree/{first}"><code>{first[:10]}</code></a>' in line  # not HEAD
    assert "computed at commit" in line and "not committed" not in line
    files["a"].write_text('{"v": 2}\n')
    assert "not committed yet" in provenance.figures_line(tmp_path, out, ["a"], None)
    assert provenance.figures_line(tmp_path, out, [], None) == ""

