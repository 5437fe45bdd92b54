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
from scripts.engine.declarations import DeclarationError
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
    write(tmp_path / "scripts" / "figs" / "deep.py", FIGURE.format(imports="from scripts.lib.b import VALUE", value="VALUE"))
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


@pytest.mark.parametrize("yml, message", [
    ("x:\n  script: nope.py\n  caption: c\n  alt: a\n", "script nope.py does not exist"),
    ("x:\n  script: scripts/figs/flat.py\n  alt: a\n", "missing 'caption'"),
    ("Bad_Id:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n", "ids are lower-case"),
    ("x:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n  colour: red\n", "unknown key(s) ['colour']"),
    ("x: [unclosed\n", "not valid YAML"),
    ("x:\n  script: scripts/figs/flat.py\n  caption: c\n  alt: a\n  widget: spinner\n", "unknown widget 'spinner'"),
])
def test_malformed_declarations_name_the_file_and_the_fix(project, yml, message):
    write(project / "figures" / "bad.yml", yml)
    with pytest.raises(DeclarationError) as e:
        Engine(project).jobs()
    assert "figures/bad.yml" in str(e.value) and message in str(e.value)


def test_missing_input_is_a_clear_failure(project):
    (project / "data" / "table.txt").unlink()
    report = Engine(project).build(progress=False)
    assert "declares input data/table.txt, which does not exist" in report.failed["flat"]
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
    write(project / "figures" / "w.yml", "w:\n  script: scripts/figs/flat.py\n  widget: attention-explorer\n  caption: c\n  alt: a\n")
    report = Engine(project).build(progress=False)
    assert "must return Result(widget_data=...)" in report.failed["w"]
    write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="", value="7").replace(
        'values={"answer": 7})', 'values={"answer": 7}, widget_data={"tokens": ["a"]})'))
    report = Engine(project).build(progress=False)
    assert report.ok and (project / "figures" / "out" / "w.data.json").read_text() == '{"tokens":["a"]}'
