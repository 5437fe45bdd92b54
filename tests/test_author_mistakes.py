"""Adversarial: the mistakes an author makes, while `mkdocs serve` runs and on the command line.

Each one must leave the preview answering every request, print one error with its file:line and the fix,
keep the last good figure, and recover when the file is fixed (issue #27). The engine-level cases run in a
throwaway project (tests/test_engine.py's `project`); the live ones start a real `mkdocs serve` on it, make
the mistake while it runs, and request pages.
"""

from __future__ import annotations

import os
import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from scripts.engine.build import Engine
from tests.conftest import free_port
from tests.test_engine import FIGURE, _site_project, project, write  # noqa: F401  (project is a fixture)

BIN = pathlib.Path(sys.executable).parent
LOOP = FIGURE.replace("def compute(params):\n", "def compute(params):\n    while True:\n        pass\n")


def _workers(root: pathlib.Path) -> list[str]:
    """Live processes of this project's warm worker or its jobs."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f"{root}/scripts/engine/worker.py" in line]


def _declare(root: pathlib.Path, fid: str, extra: str = "") -> None:
    write(root / "figures" / f"{fid}.yml", f"{fid}:\n  script: scripts/figs/{fid}.py\n  caption: c\n  alt: a\n{extra}")


# -- limits -------------------------------------------------------------------------------------------------

def test_a_runaway_job_is_stopped_at_its_time_limit_and_the_message_says_how_to_raise_it(project):
    engine = Engine(project)
    assert engine.build(progress=False).ok
    before = (project / "figures" / "out" / "flat.json").read_bytes()
    write(project / "scripts" / "figs" / "flat.py", LOOP.format(imports="", value="7"))
    (project / "figures" / "test.yml").write_text((project / "figures" / "test.yml").read_text().replace(
        "inputs: [data/table.txt]", "inputs: [data/table.txt]\n  timeout: 2"))
    t0 = time.monotonic()
    report = engine.build(progress=False)
    assert time.monotonic() - t0 < 30
    message = report.failed["flat"]
    assert "time limit of 2 s" in message and "`timeout: 4`" in message and "figures/test.yml" in message
    assert (project / "figures" / "out" / "flat.json").read_bytes() == before  # the last good output stays
    time.sleep(0.5)
    assert _workers(project) == []  # the job was killed, and the one-shot build stopped its worker


def test_a_bad_time_limit_is_a_declaration_error_with_its_line(project):
    _declare(project, "slow", "  timeout: soon\n")
    write(project / "scripts" / "figs" / "slow.py", FIGURE.format(imports="", value="1"))
    errors = [str(e) for e in Engine(project).declarations().errors]
    assert any("figures/slow.yml:5" in e and "'timeout' must be a positive number" in e for e in errors), errors


def test_an_oversized_output_is_refused_before_anything_is_installed(project):
    engine = Engine(project)
    assert engine.build(progress=False).ok
    before = {p.name: p.read_bytes() for p in (project / "figures" / "out").iterdir()}
    write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="", value="7").replace(
        'ax.plot(result.data["y"])',
        'import numpy as np\n    ax.scatter(*np.random.default_rng(0).random((2, 20000)))'))
    (project / "figures" / "test.yml").write_text((project / "figures" / "test.yml").read_text().replace(
        "inputs: [data/table.txt]", "inputs: [data/table.txt]\n  max_output_mb: 0.5"))
    report = engine.build(progress=False)
    message = report.failed["flat"]
    assert re.search(r"wrote flat\.(light|dark)\.svg of [\d.]+ MB, over its limit of 0\.5 MB", message), message
    assert "max_output_mb: " in message and "nothing was installed" in message
    after = {p.name: p.read_bytes() for p in (project / "figures" / "out").iterdir()}
    assert after == before


def test_a_job_whose_script_changes_while_it_runs_is_stopped_not_waited_for(project):
    engine = Engine(project)
    assert engine.build(progress=False).ok
    script = project / "scripts" / "figs" / "flat.py"
    good = script.read_text()
    script.write_text(LOOP.format(imports="", value="7"))
    done: dict = {}
    thread = threading.Thread(target=lambda: done.setdefault("report", engine.build(progress=False)))
    thread.start()
    time.sleep(3)  # the loop is running
    script.write_text(good)  # the author reverts it
    thread.join(timeout=20)
    assert not thread.is_alive(), "the build waited for a job whose code had changed"
    report = done["report"]
    assert "flat" in report.cancelled and "scripts/figs/flat.py changed while it ran" in report.cancelled["flat"]
    assert "flat" not in report.failed
    assert engine.build(progress=False).built == []  # reverted: what is installed is current again


# -- bad numbers --------------------------------------------------------------------------------------------

def test_a_nan_value_fails_its_figure_at_the_scripts_line_naming_the_key(project):
    engine = Engine(project)
    assert engine.build(progress=False).ok
    before = (project / "figures" / "out" / "flat.json").read_bytes()
    write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="", value="7").replace(
        'values={"answer": 7}', 'values={"answer": 7,\n                                                        '
                                '"ratio": float("nan")}'))
    message = engine.build(progress=False).failed["flat"]
    script_lines = (project / "scripts/figs/flat.py").read_text().splitlines()
    line = next(i for i, t in enumerate(script_lines, 1) if '"ratio"' in t)
    assert f"scripts/figs/flat.py:{line}:" in message and "values['ratio']" in message and "nan" in message
    assert "Traceback" not in message  # the message is the help; a trace into the engine would hide it
    assert (project / "figures" / "out" / "flat.json").read_bytes() == before


def test_a_non_finite_verdict_statistic_is_refused_in_the_script_not_in_verdicts_py(project):
    engine = Engine(project)
    write(project / "scripts" / "figs" / "claim.py", FIGURE.format(imports="from scripts.engine.api import Estimate",
                                                                   value="7").replace(
        'values={"answer": 7}', 'values={"answer": 7}, verdicts={\n        "big": Estimate(float("inf"), 1.0, 2.0, 10, '
                                '"draws", "exact")}'))
    _declare(project, "claim", '  verdicts:\n    big:\n      claim: It is big.\n      cite: "[@x]"\n'
                               '      statistic: size\n      rule: "> 0"\n')
    message = engine.build(["claim"], progress=False).failed["claim"]
    assert "scripts/figs/claim.py:" in message and "verdicts['big'].value" in message and "inf" in message
    assert "verdicts.py" not in message


# -- the command line ---------------------------------------------------------------------------------------

def test_a_syntax_error_that_breaks_two_figures_is_printed_once(project):
    write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="from scripts.lib.b import VALUE",
                                                                  value="VALUE"))
    write(project / "scripts" / "lib" / "a.py", "VALUE = = 3\n")
    proc = subprocess.run([sys.executable, "-m", "scripts.engine", "build"], cwd=project, capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("scripts/lib/a.py:1:") == 1, proc.stderr
    assert "FAILED deep, flat:" in proc.stderr


def test_ctrl_c_ends_a_build_with_one_line_and_no_process_left(project):
    write(project / "scripts" / "figs" / "flat.py", LOOP.format(imports="", value="7"))
    # As from a terminal: SIGINT at its default even if this test runs under a shell's background job, which
    # ignores it (Python then never raises KeyboardInterrupt; that is how a clean-clone run here failed).
    proc = subprocess.Popen([sys.executable, "-m", "scripts.engine", "build"], cwd=project, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    end = time.monotonic() + 120  # the job is running: a worker exists (a fixed sleep raced a loaded machine)
    while not _workers(project) and time.monotonic() < end:
        time.sleep(0.2)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: the whole foreground group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err and err.count("interrupted:") == 1, err
    time.sleep(0.5)
    assert _workers(project) == []


# -- live: mkdocs serve ------------------------------------------------------------------------------------

class Serve:
    """`mkdocs serve` on a project, its log, and page requests that must answer."""

    def __init__(self, root: pathlib.Path):
        self.root, self.port, self.log = root, free_port(), []
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        self.proc = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--livereload", "--dev-addr",
                                      f"127.0.0.1:{self.port}"], cwd=root, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout], daemon=True).start()
        self.wait_for("Serving on")

    def wait_for(self, text: str, timeout: float = 120) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.log.append(line)
            if text in line:
                return line
        raise AssertionError(f"serve never printed {text!r}:\n{''.join(self.log[-30:])}")

    def page(self, path: str = "", within: float = 5.0) -> str:
        """The page, which must answer within `within` seconds (MkDocs holds requests while it builds)."""
        t0 = time.monotonic()
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{path}", timeout=within).read().decode()
        assert time.monotonic() - t0 < within
        return body

    def until(self, path: str, predicate, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            body = self.page(path)
            if predicate(body):
                return body
            time.sleep(0.3)
        raise AssertionError(f"/{path} never satisfied the condition:\n{''.join(self.log[-30:])}")

    def stop(self) -> str:
        """Ctrl-C, as at a terminal; returns the rest of the output."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            rest, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rest, _ = self.proc.communicate()
        return rest or ""


def _value(body: str) -> str | None:
    m = re.search(r'The answer is <span class="computed-value"[^>]*>([^<]*)</span>', body)
    return m.group(1) if m else None


@pytest.mark.slow
def test_serve_keeps_answering_through_every_mistake_and_recovers_when_it_is_fixed(project):
    _site_project(project)
    write(project / "mkdocs.yml", "site_name: Test\ntheme:\n  name: material\nplugins:\n  - search\n  - blog\n"
                                  "  - figures\n")  # Material's blog: posts' front matter is read
    write(project / "docs" / "blog" / "index.md", "# Blog\n")
    write(project / "docs" / "blog" / "posts" / "note.md", "---\ndate: 2026-02-03\n---\n\n# A note\n\nText.\n")
    assert Engine(project).build(progress=False).ok
    serve = Serve(project)
    script, module = project / "scripts" / "figs" / "flat.py", project / "scripts" / "lib" / "a.py"
    good_script, good_module = script.read_text(), module.read_text()
    try:
        assert _value(serve.page()) == "7"

        # 1. a syntax error in a module two figures import, made while serve runs (issue #27's first case)
        write(project / "scripts" / "figs" / "flat.py", FIGURE.format(imports="from scripts.lib.b import VALUE",
                                                                      value="VALUE + 4"))
        serve.until("", lambda b: _value(b) == "7" and "being recomputed" not in b)  # 3 + 4: the same value
        module.write_text("VALUE = = 3\n")
        line = serve.wait_for("scripts/lib/a.py:1:")
        assert "figures deep, flat keep their last good version" in line
        body = serve.until("", lambda b: "out of date" in b)
        assert _value(body) == "7" and "source/scripts/figs/flat.py.html" in body
        serve.page("source/scripts/figs/flat.py.html")  # the source pages that crashed the build before
        module.write_text("VALUE = 5\n")
        serve.until("", lambda b: _value(b) == "9" and "out of date" not in b)
        assert sum("scripts/lib/a.py:1:" in x for x in serve.log) == 1  # printed once, not once per figure

        # 2. a runaway loop: every request still answers, and reverting the script stops it at once
        module.write_text(good_module)
        script.write_text(LOOP.format(imports="", value="7"))
        body = serve.until("", lambda b: "being recomputed" in b)
        for _ in range(3):
            serve.page("", within=3)
            time.sleep(0.5)
        script.write_text(good_script)
        serve.wait_for("changed while it ran")
        serve.until("", lambda b: _value(b) == "7" and "being recomputed" not in b and "out of date" not in b)

        # 3. an impossible date in a post's front matter
        post = project / "docs" / "blog" / "posts" / "note.md"
        post.write_text("---\ndate: 2026-02-30\n---\n\n# A note\n\nText.\n")
        line = serve.wait_for("docs/blog/posts/note.md:2:")
        assert "date" in line
        serve.page()
        post.write_text("---\ndate: 2026-02-28\n---\n\n# A note\n\nText.\n")
        serve.wait_for("Reloading browsers")
        serve.page()

        # 4. a NaN among the values: the figure keeps its last good number, the error names the line
        script.write_text(good_script.replace('values={"answer": 7}', 'values={"answer": float("nan")}'))
        line = serve.wait_for("values['answer']")
        assert "scripts/figs/flat.py:" in line
        body = serve.until("", lambda b: "out of date" in b)
        assert _value(body) == "7"
        assert "scripts/figs/flat.py:" in body.split("out of date")[1][:400]  # the page says what and where
        script.write_text(good_script)
        serve.until("", lambda b: "out of date" not in b and "being recomputed" not in b)

        # 5. a broken bibliography entry
        bib = project / "docs" / "references.bib"
        bib.write_text("@article{broken,\n  title = {Unclosed,\n  year = 2021\n")
        serve.wait_for("docs/references.bib")
        serve.page()
        bib.unlink()
        serve.wait_for("Reloading browsers")
        serve.page()

        # 6. a broken declaration: only its figure is unavailable, everything else stays live
        decl = project / "figures" / "test.yml"
        good_decl = decl.read_text()
        decl.write_text(good_decl.replace("  caption: Flat.", "\tcaption: Flat."))
        serve.wait_for("figures/test.yml")
        serve.page()
        decl.write_text(good_decl)
        serve.until("", lambda b: _value(b) == "7")

        # 7. a broken glossary: the pages stay live without cards, and fixing it brings them back
        gloss = project / "docs" / "glossary.yml"
        gloss.write_text("answer:\n  term: answer\n  definition: What the figure computes.\n  see: index.md\n")
        serve.until("", lambda b: 'data-gloss="answer"' in b)
        gloss.write_text("answer:\n  term: answer\n  definition: What the *figure* computes.\n  see: index.md\n")
        line = serve.wait_for("docs/glossary.yml:3")  # the definition's own line
        assert "plain text" in line
        body = serve.until("", lambda b: 'data-gloss="answer"' not in b)
        assert _value(body) == "7"
        gloss.write_text("answer:\n  term: answer\n  definition: What the figure computes.\n  see: index.md\n")
        serve.until("", lambda b: 'data-gloss="answer"' in b)
    finally:
        rest = serve.stop()
    assert "Traceback" not in "".join(serve.log) + rest, "".join(serve.log[-40:]) + rest
    time.sleep(0.5)
    assert _workers(project) == []
