"""Published values do not depend on the machine: the same figures under other kernels and thread counts.

We cannot borrow another machine, but we can make this one behave like one: `ATEN_CPU_CAPABILITY=default`
runs torch's generic kernels instead of its AVX2 ones (and `MKL_CBWR=COMPATIBLE` MKL's most generic code
path), and one thread instead of two adds reductions in another order. A figure's values must be equal
exactly and its images the same under normalise.py's tolerance.

The figures are a small throwaway project's own (real torch matrix products, softmax, SVD, sums and
threshold counts over a few hundred thousand numbers, a heatmap and a line plot), built through the real
engine — warm worker, runner-set threads and seeds — so the test neither depends on the site's figures
(which authors change) nor costs CI their compute: two builds of two figures, under a minute on 2 cores.
The figures publish which kernels and how many threads they ran with, so the test also shows that the
settings took effect.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import textwrap

import pytest

from scripts.engine import normalise, paths, runtime
from scripts.engine.build import Engine

REPO = paths.ROOT

SETUP = """
import matplotlib.pyplot as plt
import torch

from scripts.engine import style
from scripts.engine.api import Result


def _settings():
    return {"threads": torch.get_num_threads(), "kernels": torch.backends.cpu.get_cpu_capability()}
"""

MATMUL = SETUP + """

def compute(params):
    g = torch.Generator().manual_seed(params["seed"])
    n, d = 512, 256
    x = torch.randn(n, d, generator=g)
    w_q, w_k, w_v = (torch.randn(d, d, generator=g) / d ** 0.5 for _ in range(3))
    scores = (x @ w_q) @ (x @ w_k).T / d ** 0.5  # an attention pattern over 512 positions
    pattern = torch.softmax(scores, dim=-1)
    out = pattern @ (x @ w_v)
    s = torch.linalg.svdvals(w_q @ w_k.T)
    entropy = -(pattern * pattern.clamp_min(1e-12).log()).sum(-1)
    values = {
        "top_singular": s[0].item(),
        "effective_rank": (s.sum() ** 2 / (s ** 2).sum()).item(),
        "mean_entropy": entropy.mean().item(),
        "out_norm": out.norm().item(),
        "diag_share": pattern.diagonal().sum().item() / n,
        "peaked_rows": int((pattern.max(-1).values > 0.05).sum()),  # a count at a threshold
    }
    return Result(data={"pattern": pattern[:64, :64].tolist()}, values={**values, **_settings()})


def plot(result, theme):
    fig, ax = style.subplots(theme, width=0.5, aspect=1.0)
    ax.imshow(result.data["pattern"], cmap="viridis")
    return fig
"""

REDUCE = SETUP + """

def compute(params):
    g = torch.Generator().manual_seed(params["seed"])
    a = torch.rand(1000, 500, generator=g)
    b = torch.randn(500_000, generator=g)
    csum = torch.cumsum(b, 0)
    values = {
        "sum": a.sum().item(),
        "row_means_std": a.mean(1).std().item(),
        "log_sum_exp": torch.logsumexp(b, 0).item(),
        "walk_end": csum[-1].item(),
        "walk_max": csum.max().item(),
        "above_two_sigma": int((b.abs() > 2).sum()),
        "col_norms_mean": a.norm(dim=0).mean().item(),
    }
    curve = [csum[i].item() for i in range(0, 500_000, 5000)]
    return Result(data={"curve": curve}, values={**values, **_settings()})


def plot(result, theme):
    fig, ax = style.subplots(theme, width=0.7)
    ax.plot(result.data["curve"])
    ax.set_xlabel("step / 5000")
    return fig
"""

# name -> (environment, jobs at once: 1 job at a time gets both cores as threads, 2 jobs get one each)
SETTINGS = {"pinned AVX2 kernels, 2 threads": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}, 1),
            "generic kernels, 1 thread": ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}, 2)}
FIGURES = ("matmul", "reduce")


def _project(root: pathlib.Path) -> pathlib.Path:
    shutil.copytree(REPO / "scripts" / "engine", root / "scripts" / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "scripts" / "__init__.py").write_text("")
    (root / "scripts" / "figs").mkdir()
    (root / "scripts" / "figs" / "matmul.py").write_text(textwrap.dedent(MATMUL))
    (root / "scripts" / "figs" / "reduce.py").write_text(textwrap.dedent(REDUCE))
    (root / "figures").mkdir()
    (root / "figures" / "det.yml").write_text("".join(
        f"{f}:\n  script: scripts/figs/{f}.py\n  params: {{seed: 0}}\n  caption: c\n  alt: a\n" for f in FIGURES))
    (root / "docs").mkdir()
    return root


@pytest.mark.slow
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="kernel capabilities are an x86-64 notion")
@pytest.mark.skipif(runtime.cores() < 2, reason="needs 2 cores to compare 1 and 2 threads")
def test_values_and_images_do_not_depend_on_kernels_or_threads(tmp_path, monkeypatch):
    built = {}
    for name, (env, parallel) in SETTINGS.items():
        for var, value in env.items():  # a user's own setting wins over the runner's pinning: the other machine
            monkeypatch.setenv(var, value)
        project = _project(tmp_path / name.replace(" ", "_").replace(",", ""))
        report = Engine(project, parallel=parallel).build(progress=False)
        assert report.ok and sorted(report.built) == sorted(FIGURES), report.failed
        built[name] = project / "figures" / "out"
    (a_name, a), (b_name, b) = built.items()
    found = []
    for figure in FIGURES:
        va, vb = (json.loads((d / paths.values_name(figure)).read_text())["values"] for d in (a, b))
        # the settings took effect: other kernels, other thread counts
        settings = (va.pop("kernels"), va.pop("threads"), vb.pop("kernels"), vb.pop("threads"))
        assert settings == ("AVX2", "2", "DEFAULT", "1")
        found += [f"{figure} values: {a_name} {va} vs {b_name} {vb}"] if va != vb else []
        for name in [paths.image_name(figure, t, phone) for t in paths.THEMES for phone in (False, True)]:
            found += [f"{name}: {d}" for d in normalise.compare_files(a / name, b / name)]
    assert not found, "\n".join(found)
