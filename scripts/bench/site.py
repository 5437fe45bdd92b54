"""Benchmark the figure engine inside MkDocs. Prints ratios against baselines measured in the same run.

1. No-op rebuild: `mkdocs build` with the engine (every figure fresh) vs. stock `mkdocs build` of the same
   docs without the hook. Goal: <= 1.2x. (That torch is not imported on this path is a test.) Also the
   strict build, whose pre-build checks render every page's shortcodes and citations once more, vs. that.
2. Edit-to-page: in a copy of the project under `mkdocs serve`, edit one figure's script and time until the
   served page shows the new number, vs. that figure's own compute time (the job run directly).
Machines here are noisy: each timing is the median of interleaved repeats.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _timed(cmd: list[str], cwd: pathlib.Path, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env or ENV, check=True, capture_output=True)
    return time.perf_counter() - t0


def noop_rebuild(repeats: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stock = pathlib.Path(tmp) / "stock.yml"
        stock.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {ROOT / 'docs'}\nhooks: []\n")
        engine_cmd = [str(BIN / "mkdocs"), "build", "-q", "-d", f"{tmp}/a"]
        stock_cmd = [str(BIN / "mkdocs"), "build", "-q", "-f", str(stock), "-d", f"{tmp}/b"]
        strict_cmd = [*engine_cmd[:-2], "--strict", "-d", f"{tmp}/c"]
        _timed(engine_cmd, ROOT)  # warm caches; also makes sure every figure is fresh
        a, b, c, d = [], [], [], []
        for _ in range(repeats):
            a.append(_timed(engine_cmd, ROOT))
            b.append(_timed(stock_cmd, ROOT))
            c.append(_timed(strict_cmd, ROOT))
            d.append(_timed(engine_cmd, ROOT, {**ENV, "FIGURES_BUILD": "0"}))
    ea, sb, sc, sd = (statistics.median(x) for x in (a, b, c, d))
    print(f"no-op rebuild: engine {ea:.2f} s vs stock mkdocs {sb:.2f} s -> {ea / sb:.2f}x (goal <= 1.2x)")
    print(f"  of which checking every figure is fresh (vs FIGURES_BUILD=0, which skips it): {ea - sd:.2f} s; "
          f"the rest ({sd - sb:.2f} s) is publishing what stock lacks: MathJax, figures, the executed notebook, "
          "expanded pages")
    print(f"strict no-op rebuild (every page checked before site/ is touched): {sc:.2f} s vs {ea:.2f} s -> "
          f"{sc / ea:.2f}x the non-strict build")


def edit_to_page(figure: str = "near-orthogonal", repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = pathlib.Path(tmp) / "p"
        for name in ("docs", "scripts", "figures"):
            shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "mkdocs.yml", project)
        spec = json.dumps({"id": figure, "script": f"scripts/figures/{figure.replace('-', '_')}.py",
                           "params": _params(figure)})
        compute = []
        for _ in range(repeats):
            staging = pathlib.Path(tempfile.mkdtemp(dir=tmp))
            compute.append(_timed([sys.executable, "-m", "scripts.engine.job", spec, str(staging)], project))
        port = 8765 + os.getpid() % 500
        server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}"], cwd=project,
                                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait(lambda: _get(url) is not None, 120)
            post_url = url + "2026/11/21/superposition/"
            script = project / "scripts" / "figures" / f"{figure.replace('-', '_')}.py"
            rounds = []
            for i in range(repeats):
                marker = f"edited {i}"
                text = script.read_text().replace('"matches 1/√d"', f'"matches 1/√d ({marker})"', 1)
                text = text.replace(f"edited {i - 1})", f"{marker})")
                t0 = time.perf_counter()
                script.write_text(text)
                _wait(lambda m=marker: m in (_get(post_url) or ""), 180)
                rounds.append(time.perf_counter() - t0)
        finally:
            server.terminate()
            server.wait(timeout=10)
    c, r = statistics.median(compute), statistics.median(rounds)
    print(f"edit -> rebuilt page: {r:.2f} s vs the figure's own compute {c:.2f} s -> {r / c:.2f}x "
          f"(overhead {r - c:.2f} s: livereload's debounce, the fingerprinting, the site rebuild)")


def _params(figure: str) -> dict:
    import yaml

    for f in (ROOT / "figures").glob("*.yml"):
        data = yaml.safe_load(f.read_text()) or {}
        if figure in data:
            return data[figure].get("params", {})
    raise KeyError(figure)


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
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
    noop_rebuild()
    edit_to_page()
