"""Published values do not depend on the machine: recompute model figures under other kernels and threads.

We cannot borrow another machine, but we can make this one behave like one: `ATEN_CPU_CAPABILITY=default`
runs torch's generic kernels instead of its AVX2 ones, and one thread instead of two adds reductions in
another order. The figures' values must be equal exactly and their images the same under normalise.py's
tolerance. The figures are small model figures (a few seconds each), so CI can afford it.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from scripts.engine import normalise, paths, runtime

REPO = paths.ROOT
FIGURES = ("copying", "bigrams")  # torch matrix products and eigenvalues; numpy statistics over the corpus
SETTINGS = {"pinned, 2 threads": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}, 2),
            "generic kernels, 1 thread": ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}, 1)}


def _declaration(figure: str) -> dict:
    for f in (REPO / "figures").glob("*.yml"):
        data = yaml.safe_load(f.read_text()) or {}
        if figure in data:
            return data[figure]
    raise KeyError(figure)


def _run(figure: str, env_extra: dict, threads: int, out: pathlib.Path) -> pathlib.Path:
    out.mkdir(parents=True)
    d = _declaration(figure)
    spec = {"id": figure, "script": d["script"], "params": d.get("params", {}), "widget": d.get("widget"),
            "verdicts": d.get("verdicts", {}), "threads": threads}
    env = {**runtime.job_environment(str(REPO)), **env_extra}
    proc = subprocess.run([sys.executable, "-m", "scripts.engine.job", json.dumps(spec), str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, (out / "error.txt").read_text() if (out / "error.txt").exists() else proc.stderr
    return out


@pytest.mark.slow
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="kernel capabilities are an x86-64 notion")
@pytest.mark.parametrize("figure", FIGURES)
def test_values_and_images_do_not_depend_on_kernels_or_threads(figure, tmp_path):
    runs = {name: _run(figure, env, threads, tmp_path / name.replace(" ", "_").replace(",", ""))
            for name, (env, threads) in SETTINGS.items()}
    (a_name, a), (b_name, b) = runs.items()
    found = []
    for name in [paths.values_name(figure)] + [paths.image_name(figure, t) for t in paths.THEMES]:
        found += [f"{name}: {d}" for d in normalise.compare_files(a / name, b / name)]
    assert not found, f"{figure}: {a_name} vs {b_name}:\n" + "\n".join(found)
    values = json.loads((a / paths.values_name(figure)).read_text())["values"]
    committed = json.loads((REPO / "figures" / "out" / paths.values_name(figure)).read_text())["values"]
    assert values == committed  # and equal to what is published
