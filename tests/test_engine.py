"""The figure engine on a throwaway project: what goes stale, what rebuilds, what survives failure."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest

from scripts.engine.build import Engine
from scripts.engine.tracing import trace

REPO = pathlib.Path(__file__).resolve().parents[1]

FIGURE = """
import matplotlib.pyplot as plt
from scripts.engine.api import Result
{imports}

def compute(params):
    return Result(data={{"y": [1, 2, {value}]}}, values={{"answer": {value}}})

def plot(result, theme):
    fig, ax = plt.subplots()
    ax.plot(result.data["y"])
    return fig
"""


def write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    """A project with the real engine and two figures: `deep` imports lib.b which imports lib.a."""
    shutil.copytree(REPO / "scripts" / "engine", tmp_path / "scripts" / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    write(tmp_path / "scripts" / "__init__.py", "")
    write(tmp_path / "scripts" / "lib" / "__init__.py", "")
    write(tmp_path / "scripts" / "lib" / "a.py", "VALUE = 3\n")
    write(tmp_path / "scripts" / "lib" / "b.py", "from .a import VALUE\n")
    write(tmp_path / "scripts" / "unused.py", "X = 1\n")
    write(tmp_path / "scripts" / "figs" / "deep.py",
          FIGURE.format(imports="from scripts.lib.b import VALUE", value="VALUE"))
    write(tmp_path / "scripts" / "figs" / "flat.py", FIGURE.format(imports="", value="7"))
    write(tmp_path / "data" / "table.txt", "1 2 3\n")
    write(tmp_path / "figures" / "test.yml", """
        deep:
          script: scripts/figs/deep.py
          caption: Deep.
          alt: A line.
        flat:
          script: scripts/figs/flat.py
          inputs: [data/table.txt]
          caption: Flat.
          alt: A line.
    """)
    write(tmp_path / "docs" / "index.md", "# Home\n")
    return tmp_path


def stale(engine: Engine) -> set[str]:
    return {k for k, v in engine.status().items() if v}


def test_first_build_builds_everything_then_nothing_is_stale(project):
    engine = Engine(project)
    assert stale(engine) == {"deep", "flat"}
    report = engine.build(progress=False)
    assert report.ok and sorted(report.built) == ["deep", "flat"]
    assert stale(engine) == set()
    assert engine.values("deep") == {"answer": "3"}
    assert engine.build(progress=False).built == []


def test_transitive_import_change_marks_only_its_dependents(project):
    engine = Engine(project)
    engine.build(progress=False)
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 4\n")
    status = engine.status()
    assert status["flat"] == []
    assert "source scripts/lib/a.py changed" in status["deep"]
    assert engine.build(progress=False).built == ["deep"]
    assert engine.values("deep") == {"answer": "4"}


def test_prose_and_unrelated_edits_rebuild_nothing(project):
    engine = Engine(project)
    engine.build(progress=False)
    (project / "docs" / "index.md").write_text("# Home, edited\n")
    (project / "scripts" / "unused.py").write_text("X = 2\n")
    assert stale(engine) == set()


def test_declared_input_change_and_deleted_output(project):
    engine = Engine(project)
    engine.build(progress=False)
    (project / "data" / "table.txt").write_text("4 5 6\n")
    assert stale(engine) == {"flat"}
    engine.build(progress=False)
    (project / "figures" / "out" / "deep.dark.svg").unlink()
    assert engine.status()["deep"] == ["output figures/out/deep.dark.svg is missing"]
    assert engine.build(progress=False).built == ["deep"]
    assert (project / "figures" / "out" / "deep.dark.svg").exists()


def test_failing_script_reports_id_and_traceback_and_keeps_last_output(project):
    engine = Engine(project)
    engine.build(progress=False)
    good = (project / "figures" / "out" / "deep.light.svg").read_bytes()
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 1 / 0\n")
    report = engine.build(progress=False)
    assert set(report.failed) == {"deep"}
    assert "'deep'" in report.failed["deep"] and "ZeroDivisionError" in report.failed["deep"]
    assert (project / "figures" / "out" / "deep.light.svg").read_bytes() == good
    assert stale(engine) == {"deep"}  # still stale: the next build tries again


def test_outputs_are_byte_identical_across_builds(project):
    engine = Engine(project)
    engine.build(progress=False)
    first = {p.name: p.read_bytes() for p in (project / "figures" / "out").iterdir()}
    engine.build(force=True, progress=False)
    second = {p.name: p.read_bytes() for p in (project / "figures" / "out").iterdir()}
    assert first == second
    assert b"<dc:date>" not in first["deep.light.svg"]


def test_two_builds_at_once_do_not_corrupt(project):
    engines = [Engine(project), Engine(project)]
    reports = []
    threads = [threading.Thread(target=lambda e=e: reports.append(e.build(progress=False))) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in reports)
    assert sorted(sum((r.built for r in reports), [])) == ["deep", "flat"]  # each built exactly once
    assert stale(Engine(project)) == set()


def test_removed_declaration_is_pruned(project):
    engine = Engine(project)
    engine.build(progress=False)
    write(project / "figures" / "test.yml", "flat:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n")
    engine.build(progress=False)
    assert not (project / "figures" / "out" / "deep.light.svg").exists()
    assert "deep" not in (project / "figures" / "manifest.json").read_text()


@pytest.mark.parametrize("yml, message, line", [
    ("x:\n  script: nope.py\n  caption: c\n  alt: a\n", "script nope.py does not exist", 2),
    ("x:\n  script: scripts/figs/flat.py\n  alt: a\n", "missing 'caption'", 1),
    ("Bad_Id:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n", "ids are lower-case", 1),
    ("x:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n  colour: red\n", "unknown key(s) ['colour']", 5),
    ("x: [unclosed\n", "not valid YAML", 1),
    ("x:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n\n\nx:\n  script: a\n", "declared twice", 7),
    ("x:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n  widget: spinner\n", "unknown widget 'spinner'", 5),
])
def test_malformed_declaration_is_one_error_with_file_line_and_the_rest_builds(project, yml, message, line):
    write(project / "figures" / "bad.yml", yml)
    engine = Engine(project)
    decl = engine.declarations()
    assert len(decl.errors) == 1
    assert str(decl.errors[0]).startswith(f"figures/bad.yml:{line}: ") and message in str(decl.errors[0])
    assert set(decl.jobs) == {"deep", "flat"}  # the good file's figures are untouched
    report = engine.build(progress=False)
    assert sorted(report.built) == ["deep", "flat"] and not report.ok
    assert [str(e) for e in report.errors] == [str(e) for e in decl.errors]


def test_an_id_declared_in_two_files_names_both(project):
    write(project / "figures" / "zz.yml", "deep:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n")
    decl = Engine(project).declarations()
    assert [str(e) for e in decl.errors] == [
        "figures/zz.yml:1: figure 'deep' is already declared at figures/test.yml:2; ids must be unique."]
    assert "deep" not in decl.jobs and "deep" in decl.unavailable and "flat" in decl.jobs


def test_formatting_is_not_a_change_but_code_is(project):
    """Comments, blank lines, docstrings and layout re-run nothing; any change to what runs does."""
    engine = Engine(project)
    engine.build(progress=False)
    a = project / "scripts" / "lib" / "a.py"
    a.write_text('"""Module docstring, new."""\n\n# a comment\nVALUE = (\n    3  # the answer\n)\n')
    script = project / "scripts" / "figs" / "deep.py"
    script.write_text(script.read_text().replace("def compute(params):", 'def compute(params):\n    """Doc."""\n'))
    assert stale(engine) == set()
    a.write_text('"""Module docstring, new."""\nVALUE = 4\n')
    assert engine.status()["deep"] == ["source scripts/lib/a.py changed"]
    a.write_text('"""Module docstring, new."""\nVALUE = 3\nprint("x")\n')
    assert stale(engine) == {"deep"}


def test_a_notebooks_markdown_is_its_text(project):
    """A notebook's Markdown cells are comments to Python but text of the page: they do count."""
    write(project / "docs" / "nb.py", "# %% [markdown]\n# Hello\n# %%\nx = 1\n")
    engine = Engine(project)
    assert engine.build(progress=False).ok
    write(project / "docs" / "nb.py", "# %% [markdown]\n# Hello, edited\n# %%\nx = 1\n")
    assert stale(engine) == {"notebook:nb"}


def test_syntax_error_in_a_module_is_one_error_with_file_line_and_serve_keeps_going(project):
    from scripts.engine.site import Site

    write(project / "scripts" / "figs" / "deep2.py",
          FIGURE.format(imports="from scripts.lib.b import VALUE", value="VALUE"))
    write(project / "figures" / "more.yml", "deep2:\n  script: scripts/figs/deep2.py\n  caption: c\n  alt: a\n")
    Engine(project).build(progress=False)
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = (3\n")
    logged: list[str] = []

    class Log:
        def error(self, msg):
            logged.append(msg)

        info = warning = lambda self, msg: None

    bridge = Site(project, Log())
    bridge.build_figures()  # must not raise
    assert len(logged) == 1, logged
    assert logged[0].startswith("scripts/lib/a.py:1: ") and "deep, deep2" in logged[0]
    assert set(bridge.failed) == {"deep", "deep2"} and "scripts/lib/a.py:1" in bridge.failed["deep"] and (project / "figures" / "out" / "deep.light.svg").exists()


def test_a_killed_builds_staging_folders_are_removed(project):
    leftover = project / ".cache" / "staging" / "deep.abc123"
    leftover.mkdir(parents=True)
    (leftover / "deep.json").write_text("{}")
    Engine(project).build(progress=False)
    assert not leftover.exists() and not any((project / ".cache" / "staging").glob("*"))


def test_warm_worker_sees_edits_and_survives_a_crashing_job(project):
    engine = Engine(project)
    engine.keep_warm = True  # as under mkdocs serve: one worker for several builds
    try:
        engine.build(progress=False)
        worker = engine._worker
        (project / "scripts" / "lib" / "a.py").write_text("import os\nos._exit(3)\n")
        report = engine.build(progress=False)
        assert "exited with 3" in report.failed["deep"]
        (project / "scripts" / "lib" / "a.py").write_text("VALUE = 8\n")
        assert engine.build(progress=False).built == ["deep"]
        assert engine.values("deep") == {"answer": "8"} and engine._worker is worker  # same warm process
    finally:
        engine.close()


def test_warm_worker_learns_a_jobs_third_party_imports_but_never_the_projects(project):
    """The second child finds the library the first one imported already loaded; project modules are still
    imported fresh by every child (an edit is seen)."""
    probe = """
        import sys
        LOADED = "xml.dom.minidom" in sys.modules  # a library the worker does not preload
        import xml.dom.minidom  # noqa: F401  (imported for the worker to learn)
        """
    write(project / "scripts" / "lib" / "a.py", probe + "VALUE = 1 if LOADED else 0\n")
    from scripts.engine import worker

    engine = Engine(project)
    engine.keep_warm = True
    try:
        engine.build(progress=False)
        assert engine.values("deep") == {"answer": "0"}  # the first child imported it itself
        write(project / "scripts" / "lib" / "a.py", probe + "VALUE = 10 if LOADED else 20\n")
        assert engine.build(progress=False).built == ["deep"]
        assert engine.values("deep") == {"answer": "10"}  # learned by the worker; the edit is seen
    finally:
        engine.close()
    import types

    local = types.ModuleType("helpers")
    local.__file__ = str(project / "helpers.py")  # a project file outside scripts/
    assert not worker._third_party("helpers", local, str(project))
    assert not worker._third_party("scripts.lib.a", types.ModuleType("scripts.lib.a"), str(project))
    assert worker._third_party("xml.dom.minidom", __import__("xml.dom.minidom").dom.minidom, str(project))
    assert not worker._third_party("os.path", sys.modules["os.path"], str(project))  # an alias of posixpath


def test_fingerprints_are_reused_only_while_their_files_do_not_move(project, monkeypatch):
    """Under serve one engine checks after every save: only the jobs that read the edited file are traced and
    hashed again, and the edit is never hidden."""
    import os
    import time

    from scripts.engine import build

    past = time.time() - 60  # older than the racy window: stats can vouch for these files
    for p in project.rglob("*"):
        os.utime(p, (past, past))
    engine = Engine(project)
    engine.build(progress=False)
    calls: list[str] = []
    real = build.fingerprint
    monkeypatch.setattr(build, "fingerprint", lambda job, *a, **k: calls.append(job.id) or real(job, *a, **k))
    assert stale(engine) == set() and calls == []  # nothing moved: nothing traced or hashed
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 4\n")
    assert stale(engine) == {"deep"} and calls == ["deep"]  # only the job that imports it
    assert stale(Engine(project)) == {"deep"}  # the same answer as a fresh check


def test_parallel_build_equals_serial_build(project, tmp_path):
    other = tmp_path / "copy"
    shutil.copytree(project, other)
    Engine(project, parallel=1).build(progress=False)
    Engine(other, parallel=2).build(progress=False)
    read = lambda root: {p.name: p.read_bytes() for p in (root / "figures" / "out").iterdir()}
    assert read(project) == read(other)
    assert (project / "figures" / "manifest.json").read_text() == (other / "figures" / "manifest.json").read_text()


HAND_EDITED = ("figures/out/deep.json does not match what the build wrote (figures/manifest.json; edited by hand?) — "
               "restore it with `git checkout figures/out/deep.json`, or rebuild: "
               "`python -m scripts.engine build deep`")


def test_a_hand_edited_figure_says_restore_it_from_git_or_rebuild(project):
    engine = Engine(project)
    engine.build(progress=False)
    values = project / "figures" / "out" / "deep.json"
    values.write_text(values.read_text().replace('"answer": "3"', '"answer": "4"'))
    assert engine.status()["deep"] == [HAND_EDITED]
    proc = subprocess.run([sys.executable, "-m", "scripts.engine", "check"], cwd=project, capture_output=True,
                          text=True)
    assert HAND_EDITED in proc.stdout and proc.stderr.startswith("Restore from git first")
    assert engine.build(progress=False).built == ["deep"] and engine.values("deep") == {"answer": "3"}  # or rebuild


def test_verify_passes_then_names_the_figure_and_value_that_differ(project):
    engine = Engine(project)
    engine.build(progress=False)
    assert engine.verify(progress=False).ok
    values = project / "figures" / "out" / "deep.json"
    values.write_text(values.read_text().replace('"answer": "3"', '"answer": "2"'))
    svg = project / "figures" / "out" / "flat.light.svg"
    svg.write_text(svg.read_text().replace("<path", "<path data-x='1'", 1))
    report = engine.verify(progress=False)
    assert report.differ["deep"] == ["figures/out/deep.json: values 'answer': committed '2', recomputed '3'",
                                     f"(the committed figure is also stale: {HAND_EDITED})"]
    assert "figures/out/flat.light.svg: the drawing differs" in report.differ["flat"][0]
    assert not (project / ".cache" / "verify").exists()


def test_a_tampered_verdict_names_the_field_and_both_values():
    import json

    from scripts.engine import normalise

    record = {"claim": "The previous-token head alone carries the key signal. " * 4, "estimate": "0.57", "low": "0.5",
              "high": "0.6", "n": 128, "outcome": "supported",
              "seeds": [{"label": "seed 0", "estimate": "0.57"}, {"label": "seed 1", "estimate": "0.55"}]}
    tampered = json.loads(json.dumps(record))
    tampered["estimate"], tampered["seeds"][1]["estimate"] = "0.58", "0.56"
    del tampered["n"]
    committed, recomputed = ({"values": {"x": "1"}, "verdicts": {"prev-head-alone": r}} for r in (tampered, record))
    assert normalise.differences(json.dumps(committed).encode(), json.dumps(recomputed).encode(), "p.json") == [
        "verdicts 'prev-head-alone' field 'estimate': committed '0.58', recomputed '0.57'",
        "verdicts 'prev-head-alone' field 'n': committed nothing, recomputed 128",
        "verdicts 'prev-head-alone' field 'seeds[1].estimate': committed '0.56', recomputed '0.55'",
    ]


def test_canonical_svg_is_stable_under_float_noise():
    from scripts.engine import normalise

    a = '<g id="p1a2b3c4d5e"><path d="M 10.123456 20.000001 L 5.5 0.004999" clip-path="url(#p1a2b3c4d5e)"/></g>'
    b = '<g id="pffffffffff"><path d="M 10.123461 20.000003 L 5.5 0.005001" clip-path="url(#pffffffffff)"/></g>'
    assert normalise.canonical_svg(a) == '<g id="p0"><path d="M 10.12 20 L 5.5 0" clip-path="url(#p0)"/></g>'
    assert normalise.same_figure(a.encode(), b.encode(), "x.svg")  # 0.004999 and 0.005001 round apart: tolerated
    c = a.replace("10.123456", "10.2")
    assert normalise.differences(a.encode(), c.encode(), "x.svg") == [
        "1 of 6 coordinates moved by more than 0.02 pt (largest: 10.12 -> 10.2)"]


def test_misspelt_zoo_model_suggests_the_closest():
    from scripts.zoo.load import ModelLoadError, load_model

    with pytest.raises(ModelLoadError, match="'attn-onyl-2l' is not a zoo model; did you mean 'attn-only-2l'"):
        load_model("attn-onyl-2l")


def test_missing_input_is_a_clear_failure(project):
    (project / "data" / "table.txt").unlink()
    report = Engine(project).build(progress=False)
    assert report.failed["flat"].startswith(
        "figures/test.yml: figure 'flat' declares input data/table.txt, which does not exist")
    assert "deep" in report.built


def test_trace_follows_relative_package_and_submodule_imports(project):
    write(project / "scripts" / "pkg" / "__init__.py", "import numpy\n")
    write(project / "scripts" / "pkg" / "sub.py", "from . import leaf\nimport torch.nn as nn\n")
    write(project / "scripts" / "pkg" / "leaf.py", "def f():\n    from ..lib import a\n")
    write(project / "scripts" / "entry.py", "from scripts.pkg import sub\nimport json\n")
    tr = trace(project / "scripts" / "entry.py", project)
    names = {p.relative_to(project.resolve()).as_posix() for p in tr.files}
    assert names == {"scripts/entry.py", "scripts/__init__.py", "scripts/pkg/__init__.py", "scripts/pkg/sub.py",
                     "scripts/pkg/leaf.py", "scripts/lib/__init__.py", "scripts/lib/a.py"}
    assert tr.libraries == {"numpy", "torch"}  # json is standard library


def test_check_command_fails_on_stale_repo_figures():
    """The repository's own committed figures must be fresh (this is what CI enforces)."""
    proc = subprocess.run([sys.executable, "-m", "scripts.engine", "check"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_notebook_reexecutes_only_when_its_imports_change(project):
    write(project / "docs" / "nb.py", """
        # %% [markdown]
        # # A notebook
        # %%
        from scripts.lib.b import VALUE
        print("value is", VALUE)
    """)
    engine = Engine(project)
    report = engine.build(progress=False)
    assert report.ok, report.failed
    executed = (project / "figures" / "out" / "notebooks" / "nb.ipynb").read_text()
    assert "value is 3" in executed
    (project / "docs" / "index.md").write_text("# prose edit\n")
    assert stale(engine) == set()
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 5\n")
    assert stale(engine) == {"deep", "notebook:nb"}
    engine.build(progress=False)
    assert "value is 5" in (project / "figures" / "out" / "notebooks" / "nb.ipynb").read_text()


def test_widget_figure_writes_its_data_and_fails_clearly_without_it(project):
    write(project / "figures" / "w.yml",
          "w:\n  script: scripts/figs/flat.py\n  widget: attention-explorer\n  caption: c\n  alt: a\n")
    report = Engine(project).build(progress=False)
    assert "must return Result(widget_data=...)" in report.failed["w"]
    write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="", value="7").replace(
        'values={"answer": 7})', 'values={"answer": 7}, widget_data={"tokens": ["a"]})'))
    report = Engine(project).build(progress=False)
    assert report.ok and (project / "figures" / "out" / "w.data.json").read_text() == '{"tokens":["a"]}'


def test_widget_shards_are_declared_outputs_written_one_file_each(project):
    """A widget too large to load with its page (the feature browser) returns shards beside its index: each is a
    declared output (so it is checked, committed and published like any other), and a count that disagrees with
    the declaration fails the job, naming both, before anything is installed."""
    from scripts.engine.declarations import load_declarations

    write(project / "figures" / "w.yml", "w:\n  script: scripts/figs/w.py\n  widget: feature-browser\n"
          "  shards: 2\n  caption: c\n  alt: a\n")
    write(project / "scripts" / "figs" / "w.py", FIGURE.format(imports="", value="7").replace(
        'values={"answer": 7})', 'values={"answer": 7}, widget_data={"n": 3}, widget_shards=[[1, 2], [3]])'))
    report = Engine(project).build(progress=False)
    assert report.ok, report.failed
    out = project / "figures" / "out"
    assert (out / "w.shard-000.data.json").read_text() == "[1,2]" and (out / "w.shard-001.data.json").read_text() == "[3]"
    decl = lambda: load_declarations(project, project / "figures", project / "docs")
    job = decl().jobs["w"]
    assert [p.name for p in job.outputs(out)][-3:] == ["w.data.json", "w.shard-000.data.json", "w.shard-001.data.json"]
    write(project / "figures" / "w.yml", "w:\n  script: scripts/figs/w.py\n  widget: feature-browser\n"
          "  shards: 3\n  caption: c\n  alt: a\n")
    report = Engine(project).build(progress=False)
    assert "returned 2 widget shards; its declaration says shards: 3" in report.failed["w"]
    assert not (out / "w.shard-002.data.json").exists()
    write(project / "figures" / "w.yml", "w:\n  script: scripts/figs/w.py\n  shards: 3\n  caption: c\n  alt: a\n")
    (error,) = decl().errors
    assert error.where.endswith("w.yml:3") and "'shards' must be a whole number" in str(error)
    assert "needs 'widget:'" in str(error)


# -- the engine inside MkDocs: a strict build never touches site/ on an engine error; serve watches the right files

def _site_project(project: pathlib.Path) -> pathlib.Path:
    """The throwaway project as a (tiny) site: the `figures` plugin, one page quoting figure `flat`. The plugin
    runs the project's own copy of the engine (tested: `_workers` looks for its worker.py)."""
    write(project / "mkdocs.yml", "site_name: Test\nplugins:\n  - search\n  - figures\n")
    write(project / "docs" / "index.md",
          '# Home\n\n{{ figure("flat") }}\n\nThe answer is {{ value("flat.answer") }}.\n')
    write(project / "docs" / "conventions.md", "# Conventions\n\n## Verdicts\n\nText.\n")  # the Claims page links it
    return project


def _mkdocs(project: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(pathlib.Path(sys.executable).parent / "mkdocs"), *args], cwd=project, env=env,
                          capture_output=True, text=True)


def test_strict_build_leaves_site_byte_identical_when_a_figure_fails_or_a_declaration_breaks(project, tmp_path):
    site = tmp_path / "site"
    _site_project(project)
    first = _mkdocs(project, "build", "--strict", "-d", str(site))
    assert first.returncode == 0, first.stderr[-3000:]
    snapshot = lambda: {p.relative_to(site).as_posix(): p.read_bytes()
                        for p in sorted(site.rglob("*")) if p.is_file()}
    before = snapshot()
    assert '<span class="computed-value"' in before["index.html"].decode()

    script = project / "scripts" / "figs" / "flat.py"
    good = script.read_text()
    script.write_text(good.replace('values={"answer": 7}', 'values={"answer": 1 / 0}'))  # the job fails
    proc = _mkdocs(project, "build", "--strict", "-d", str(site))
    assert proc.returncode != 0
    assert "'flat'" in proc.stderr and "ZeroDivisionError" in proc.stderr
    assert "Cleaning site directory" not in proc.stderr
    assert snapshot() == before

    script.write_text(good)
    write(project / "figures" / "broken.yml", "x: [unclosed\n")  # a broken declaration, the job itself is fine
    proc = _mkdocs(project, "build", "--strict", "-d", str(site))
    assert proc.returncode != 0
    assert "figures/broken.yml:1: not valid YAML" in proc.stderr
    assert "Cleaning site directory" not in proc.stderr
    assert snapshot() == before


def test_serve_watches_code_and_declarations_but_not_the_engines_own_writes(project):
    from scripts.engine.site import Site

    class Log:
        error = info = warning = lambda self, msg: None

    (project / "figures" / "ledger").mkdir(exist_ok=True)
    bridge = Site(project, Log())
    bridge.build_figures()
    watched = {path: (recursive, wanted) for path, recursive, wanted in bridge.watched_paths()}
    root = project.resolve()
    recursive, backfill = watched[root / "figures" / "ledger"]  # the verdicts' backfilled history
    assert not recursive and backfill(str(root / "figures" / "ledger" / "backfill.yml"))
    assert watched[root / "data" / "table.txt"] == (True, None)  # a declared input: any change
    recursive, source = watched[root / "scripts"]
    assert recursive and source(str(root / "scripts" / "figs" / "new.py"))
    assert not source(str(root / "scripts" / "figs" / "__pycache__" / "new.cpython-311.pyc"))
    recursive, declaration = watched[root / "figures"]
    assert not recursive and declaration(str(root / "figures" / "new.yml"))
    for own in ("manifest.json", ".manifest.json.abc.tmp", "out/flat.light.svg", "out/flat.json"):
        assert not declaration(str(root / "figures" / own)), own


@pytest.mark.slow
def test_serve_picks_up_a_new_script_and_declaration_and_builds_once_per_change(project):
    """`make note` adds figures/NEW.yml and a script while `mkdocs serve` runs: the page that quotes the new
    figure shows its value without a restart, and the build that wrote the manifest, the outputs and
    __pycache__ does not trigger a second site build."""
    import os
    import queue
    import time
    import urllib.request

    from tests.conftest import free_port

    _site_project(project)
    write(project / "docs" / "later.md", '# Later\n\nLater: {{ value("later.answer") }}.\n')
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen([str(pathlib.Path(sys.executable).parent / "mkdocs"), "serve", "--livereload",
                               "--dev-addr", f"127.0.0.1:{port}"], cwd=project, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()

    def drain() -> None:
        while True:
            try:
                log.append(lines.get_nowait())
            except queue.Empty:
                return

    def wait_for(text: str, timeout: float = 300) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            log.append(line)
            if text in line:
                return
        raise AssertionError(f"serve never printed {text!r}:\n{''.join(log[-40:])}")

    def page() -> str:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/later/", timeout=5).read().decode()
        except OSError:
            return ""

    builds = lambda: sum("Building documentation" in line for line in log)
    try:
        wait_for("Serving on")
        write(project / "scripts" / "figs" / "later.py", FIGURE.format(imports="", value="42"))
        wait_for("Building documentation")  # a new script is watched
        wait_for("Reloading browsers")
        write(project / "figures" / "later.yml", "later:\n  script: scripts/figs/later.py\n  caption: c\n  alt: a\n")
        wait_for("rebuilt 1 figure job(s): later")  # a new declaration is watched
        wait_for("Reloading browsers")
        assert ">42</span>" in page()
        n = builds()
        time.sleep(8)  # a build triggered by the manifest, outputs or .pyc written above would have started
        drain()
        assert builds() == n, "the engine's own writes triggered another build:\n" + "".join(log[-20:])
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_no_op_check_trusts_its_snapshot_only_while_nothing_moved(project, monkeypatch):
    """snapshot.py: after an all-fresh check, the next one only stats files; any change means a full check."""
    from scripts.engine import snapshot

    monkeypatch.setattr(snapshot, "RACY_SECONDS", 0.0)
    engine = Engine(project)
    engine.build(progress=False)
    assert stale(engine) == set()
    snap = project / ".cache" / "fresh.json"
    assert snap.exists() and snapshot.still_fresh(snap, project)
    calls = []
    monkeypatch.setattr("scripts.engine.build.fingerprint", lambda *a, **k: calls.append(a) or 1 / 0)
    assert stale(engine) == set() and calls == []  # answered from the snapshot: nothing fingerprinted
    monkeypatch.undo()
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 5\n")  # same size, new content
    assert not snapshot.still_fresh(snap, project)
    assert stale(engine) == {"deep"}
    engine.build(progress=False)
    assert stale(engine) == set()
    (project / "scripts" / "lib" / "c.py").write_text("X = 1\n")  # a new module: its folder changed
    assert not snapshot.still_fresh(snap, project)


def test_source_pages_retrace_only_the_scripts_whose_files_moved(project, monkeypatch):
    """sources.cached_pages: a no-op build traces nothing; after an edit only the scripts that read the edited
    file are traced again, and every page shows the files as they are."""
    import os
    import time

    from scripts.engine import sources

    past = time.time() - 60  # older than the racy window: stats can vouch for these files
    for p in project.rglob("*"):
        os.utime(p, (past, past))
    cache = project / ".cache" / "source-pages.json"
    scripts = [pathlib.Path("scripts/figs/deep.py"), pathlib.Path("scripts/figs/flat.py")]
    first = sources.cached_pages(project, scripts, cache)
    assert "VALUE = 3" in first["source/scripts/lib/a.py.html"]
    traced: list[str] = []
    real = sources.trace
    monkeypatch.setattr(sources, "trace", lambda path, *a: traced.append(path.name) or real(path, *a))
    assert sources.cached_pages(project, scripts, cache) == first and traced == []
    (project / "scripts" / "lib" / "a.py").write_text("VALUE = 5\n")
    again = sources.cached_pages(project, scripts, cache)
    assert traced == ["deep.py"]  # flat.py does not import it
    assert "VALUE = 5" in again["source/scripts/lib/a.py.html"]
    assert again == sources.pages(project, scripts)  # the same pages as made from scratch


def test_a_racy_snapshot_is_not_written(project, monkeypatch):
    from scripts.engine import snapshot

    monkeypatch.setattr(snapshot, "RACY_SECONDS", 3600.0)  # every file counts as just modified
    engine = Engine(project)
    engine.build(progress=False)
    assert stale(engine) == set()
    assert not (project / ".cache" / "fresh.json").exists()
