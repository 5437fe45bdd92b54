"""Benchmark the figure engine. Prints ratios against baselines measured in the same run (machines are noisy).

1. Per-job overhead (everything but the script's compute and plot): the warm worker, which forks a child per
   job from a process that has imported torch & co. once, vs. today's fresh `python -m scripts.engine.job`
   process per job. Goal: <= 0.5 s.
2. Full rebuild of every figure: the engine (`-j` cores, warm worker) vs. the runner before it (one fresh
   process per job, one job at a time, two threads each). Goal: <= 0.5x.
3. Edit-to-page for a model figure under `mkdocs serve`: edit the figure's script, time until the served page
   shows the new number, minus that same job's compute + plot (the job records it in .cache/timings.json;
   compute alone varies by a second or two between runs here). Goal: <= compute + 1.5 s.
4. No-op rebuild: `mkdocs build` with the engine (every figure fresh) vs. stock `mkdocs build` of the same
   docs without the hook, timed as interleaved pairs. Goal: <= 1.1x. Also the strict build vs. that, and the
   engine's build with its page caches emptied (what it costs when nothing can be reused).

5. Job order: a build of one long job declared after five short ones, on two workers — longest first (by the
   wall times the last build recorded) vs. declaration order (no record, as on a first build). The jobs sleep
   for their durations, so only the scheduling is measured. Goal: >= 1.25x (ideal 9.6 s / 6 s = 1.6x, less the
   second or so both builds spend starting the worker and forking jobs).

`python -m scripts.bench.site [overhead|rebuild|edit|noop|order ...]` runs some of them; no argument runs all.
`--figures a,b` limits the full rebuild to those figures (a quick look, not the goal's measurement).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from scripts.engine import paths, runtime
from scripts.engine.paths import ROOT

BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
PAUSE = 5.0  # an author's pause between two saves (the warm worker learns a new script's imports meanwhile, once)


def _timed(cmd: list[str], cwd: pathlib.Path, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or ENV, check=True, capture_output=True)
    return time.perf_counter() - t0


def noop_rebuild(repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = _copy(pathlib.Path(tmp) / "p", fresh=True)
        stock = project / "mkdocs.stock.yml"  # the same configuration without the figures plugin
        stock.write_text(re.sub(r"(?m)^  - figures:.*\n(?:      .*\n)*", "", (project / "mkdocs.yml").read_text()))
        engine_cmd = [str(BIN / "mkdocs"), "build", "-q", "-d", f"{tmp}/a"]
        stock_cmd = [str(BIN / "mkdocs"), "build", "-q", "-f", str(stock), "-d", f"{tmp}/b"]
        strict_cmd = [*engine_cmd[:-2], "--strict", "-d", f"{tmp}/c"]
        for cmd in (engine_cmd, stock_cmd, strict_cmd):  # warm the caches (and check nothing is built)
            _timed(cmd, project)
        assert not (project / ".cache" / "timings.json").exists(), "a figure was built: not a no-op"
        a, b, c, e = [], [], [], []
        for _ in range(repeats):
            a.append(_timed(engine_cmd, project))
            b.append(_timed(stock_cmd, project))
            c.append(_timed(strict_cmd, project))
            for folder in (paths.Layout(project).render_cache, paths.Layout(project).templates_cache):
                shutil.rmtree(folder, ignore_errors=True)  # the engine's site caches, emptied
            e.append(_timed(engine_cmd, project))  # (and filled again for the next pair)
    ea, sb, sc, se = (statistics.median(x) for x in (a, b, c, e))
    pairs = sorted(x / y for x, y in zip(a, b))
    print(f"no-op rebuild: engine {ea:.2f} s vs stock mkdocs {sb:.2f} s -> {statistics.median(pairs):.2f}x "
          f"(median of {len(pairs)} interleaved pairs, range {pairs[0]:.2f}-{pairs[-1]:.2f}; goal <= 1.1x)")
    print("  both reuse mkdocs-jupyter's converted notebooks (its own cache, set in mkdocs.yml); the engine also "
          "reuses converted pages, blog excerpts, search entries and compiled templates "
          "(scripts/engine/rendercache.py)")
    ratio = statistics.median(x / y for x, y in zip(e, b))
    print(f"  with those caches emptied before each build: {se:.2f} s -> {ratio:.2f}x "
          "stock (what the engine adds when nothing can be reused: its expanded pages, 23 more pages, MathJax)")
    print(f"strict no-op rebuild (every page checked before site/ is touched): {sc:.2f} s vs {ea:.2f} s -> "
          f"{sc / ea:.2f}x the non-strict build")


_WRAP = """

_bench_compute = compute


def compute(params):  # added by scripts/bench/site.py
    result = _bench_compute(params)
    result.values["bench"] = "{marker}"
    return result
"""


def edit_to_page(figure: str = "zoo-heads", post: str = "2026-11-21-the-zoo.md", repeats: int = 3) -> None:
    """Edit a model figure's script under serve; time until the page shows the new value."""
    with tempfile.TemporaryDirectory() as tmp:
        project = _copy(pathlib.Path(tmp) / "p", fresh=True)
        script = project / _script(figure)
        original = script.read_text()
        script.write_text(original + _WRAP.format(marker="edited 0"))
        page = project / "docs" / "posts" / post
        page.write_text(page.read_text() + f'\nBench: {{{{ value("{figure}.bench") }}}}\n')
        port = 8765 + os.getpid() % 500
        server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"], cwd=project,
                                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            slug = post.removeprefix("2026-11-21-").removesuffix(".md")
            url = f"http://127.0.0.1:{port}/2026/11/21/{slug}/"
            _wait(lambda: "edited 0" in (_get(url) or ""), 600)
            rounds, compute = [], []
            for i in range(1, repeats + 2):  # the first round waits for the warm worker's imports: not timed
                time.sleep(PAUSE)
                t0 = time.perf_counter()
                script.write_text(original + _WRAP.format(marker=f"edited {i}"))
                # a request made while MkDocs rebuilds is held until the build ends: a long timeout sees that moment
                _wait(lambda m=f"edited {i}": m in (_get(url, timeout=120) or ""), 600)
                rounds.append(time.perf_counter() - t0)
                compute.append(json.loads((project / ".cache" / "timings.json").read_text())[figure]["compute"])
            rounds, compute = rounds[1:], compute[1:]
        finally:
            server.terminate()
            server.wait(timeout=30)
    extra = sorted(r - c for r, c in zip(rounds, compute))
    print(f"edit -> rebuilt page ({figure}): {statistics.median(rounds):.2f} s vs the same job's compute + plot "
          f"{statistics.median(compute):.2f} s -> compute + {statistics.median(extra):.2f} s (median of {len(extra)} "
          f"edits, range {extra[0]:.2f}-{extra[-1]:.2f}; goal <= compute + 1.5 s)")


def job_overhead(figure: str = "near-orthogonal", repeats: int = 5) -> None:
    """Wall time of one job minus its compute and plot: warm worker vs. a fresh process."""
    from scripts.engine.build import Engine

    with tempfile.TemporaryDirectory() as tmp:
        project = _copy(pathlib.Path(tmp) / "p")
        engine = Engine(project, parallel=1)
        engine.keep_warm = True
        warm, cold = [], []
        try:
            engine.build([figure], force=True, progress=False)  # starts the worker
            for _ in range(repeats):
                report = engine.build([figure], force=True, progress=False)
                warm.append(report.seconds[figure] - report.compute[figure])
                cold.append(_fresh_process_job(project, figure))
        finally:
            engine.close()
    w, c = statistics.median(warm), statistics.median(cold)
    print(f"per-job overhead ({figure}): warm worker {w:.2f} s vs fresh process {c:.2f} s -> {w / c:.2f}x "
          f"(goal <= 0.5 s)")


def _fresh_process_job(project: pathlib.Path, figure: str) -> float:
    """Today's runner: `python -m scripts.engine.job` in a fresh process; returns wall time minus compute."""
    staging = pathlib.Path(tempfile.mkdtemp(dir=project))
    spec = {"id": figure, "script": _script(figure), "params": _params(figure),
            "widget": _declaration(figure).get("widget"),
            "verdicts": _declaration(figure).get("verdicts", {}), "threads": 2}
    env = {**ENV, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(project)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scripts.engine.job", json.dumps(spec), str(staging)], cwd=project, env=env,
                   check=True, capture_output=True)
    wall = time.perf_counter() - t0
    compute = json.loads((staging / "timing.json").read_text())["compute_and_plot"]
    shutil.rmtree(staging)
    return wall - compute


def full_rebuild(figures: list[str] | None = None) -> None:
    """Every figure, forced: the engine vs. one fresh process per job, serially (the runner before it)."""
    from scripts.engine.build import Engine

    with tempfile.TemporaryDirectory() as tmp:
        project = _copy(pathlib.Path(tmp) / "p")
        engine = Engine(project)
        ids = figures or [j for j, job in engine.jobs().items() if job.kind == "figure"]
        t0 = time.perf_counter()
        for figure in ids:
            _fresh_process_job(project, figure)
        before = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = engine.build(ids, force=True, progress=False)
        after = time.perf_counter() - t0
        assert report.ok, report.failed
    print(f"full rebuild of {len(ids)} figures: engine {after:.0f} s (-j {engine.parallel}) vs one fresh process per "
          f"job, serially {before:.0f} s -> {after / before:.2f}x (goal <= 0.5x)")


SLEEPER = """
import time
import matplotlib.pyplot as plt
from scripts.engine.api import Result

def compute(params):
    time.sleep(params["seconds"])
    return Result(values={"slept": params["seconds"]})

def plot(result, theme):
    return plt.figure(figsize=(1, 1))
"""


def job_order(long_s: float = 6.0, short_s: float = 1.2, shorts: int = 5, repeats: int = 2) -> None:
    """Longest-first scheduling (build.py `_longest_first`) against declaration order, on sleeping jobs."""
    from scripts.engine.build import Engine

    with tempfile.TemporaryDirectory() as tmp:
        project = pathlib.Path(tmp) / "p"
        shutil.copytree(ROOT / "scripts" / "engine", project / "scripts" / "engine",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (project / "scripts" / "__init__.py").write_text("")
        (project / "scripts" / "sleep.py").write_text(SLEEPER)
        jobs = [(f"short-{i}", short_s) for i in range(shorts)] + [("long", long_s)]
        (project / "figures").mkdir()
        (project / "figures" / "order.yml").write_text("".join(
            f"{jid}:\n  script: scripts/sleep.py\n  params: {{seconds: {sec}}}\n  caption: c\n  alt: a\n"
            for jid, sec in jobs))
        timings = project / ".cache" / "timings.json"
        walls: dict[str, list[float]] = {"declared": [], "longest": []}
        for _ in range(repeats):
            for kind in ("declared", "longest"):
                engine = Engine(project, parallel=2)
                if kind == "declared":
                    timings.unlink(missing_ok=True)  # nothing recorded: declaration order
                else:
                    timings.write_text(json.dumps({jid: {"wall": sec, "compute": sec} for jid, sec in jobs}))
                t0 = time.perf_counter()
                report = engine.build(force=True, progress=False)
                walls[kind].append(time.perf_counter() - t0)
                engine.close()
                assert report.ok, report.failed
    a, b = statistics.median(walls["declared"]), statistics.median(walls["longest"])
    print(f"job order: one {long_s:g} s job after {shorts} of {short_s:g} s on 2 workers: declaration order {a:.1f} s, "
          f"longest first {b:.1f} s -> {a / b:.2f}x faster (goal >= 1.25x; median of {repeats})")


def _copy(project: pathlib.Path, fresh: bool = False) -> pathlib.Path:
    """A throwaway copy of the project. `fresh`: record the copied outputs as fresh in its manifest, so a
    build there is a no-op without first recomputing every figure that is stale in the working tree (the
    no-op path's cost does not depend on whether the committed outputs are up to date)."""
    for name in ("docs", "scripts", "figures"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", project)
    (project / "models").symlink_to(ROOT / "models", target_is_directory=True)
    if (ROOT / ".cache" / "zoo").exists():  # the tokenised corpus: a cache, not what is measured
        (project / ".cache").mkdir()
        (project / ".cache" / "zoo").symlink_to(ROOT / ".cache" / "zoo", target_is_directory=True)
    if fresh:
        _mark_fresh(project)
    return project


def _mark_fresh(project: pathlib.Path) -> None:
    from scripts.engine.build import Engine
    from scripts.engine.manifest import entry, fingerprint, sha256_file, write_manifest

    engine = Engine(project)
    manifest = {}
    for jid, job in engine.jobs().items():
        outs = job.outputs(engine.out_dir)
        if all(o.exists() for o in outs):
            manifest[jid] = entry(fingerprint(job, engine.root),
                                  {o.relative_to(engine.root).as_posix(): sha256_file(o) for o in outs})
    write_manifest(engine.manifest_path, manifest)
    stale = {k: v for k, v in engine.status().items() if v}
    assert not stale, f"cannot make the copy fresh: {stale}"


def _declaration(figure: str) -> dict:
    import yaml

    for f in (ROOT / "figures").glob("*.yml"):
        data = yaml.safe_load(f.read_text()) or {}
        if figure in data:
            return data[figure]
    raise KeyError(figure)


def _script(figure: str) -> str:
    return _declaration(figure)["script"]


def _params(figure: str) -> dict:
    return _declaration(figure).get("params", {})


def _get(url: str, timeout: float = 2) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    except OSError:
        return None


def _wait(cond, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not met")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", default=[], help="overhead, rebuild, edit, noop, order (default: all)")
    parser.add_argument("--figures", default="", help="comma-separated ids for the full rebuild")
    args = parser.parse_args()
    which = args.which or ["overhead", "rebuild", "edit", "noop", "order"]
    print(f"machine: {runtime.cores()} cores")
    if "overhead" in which:
        job_overhead()
    if "rebuild" in which:
        full_rebuild([f for f in args.figures.split(",") if f] or None)
    if "edit" in which:
        edit_to_page()
    if "noop" in which:
        noop_rebuild()
    if "order" in which:
        job_order()
