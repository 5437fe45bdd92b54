"""Runs one figure job in its own process: compute once, plot once per theme, write to a staging folder.

Run by the warm worker (`worker.py`) in a child forked for this job alone, or by hand as
`python -m scripts.engine.job SPEC_JSON STAGING_DIR`. A fresh process per job means an edited module is
always re-imported and a crashing script cannot take `mkdocs serve` down. The runner, not the script, sets
the thread count (`spec["threads"]`) and the seeds (`runtime.apply_in_job`); SVGs carry no date, use a fixed
hash salt and are written in canonical form (`normalise.canonical_svg`), so the same inputs give the same
files. On failure the traceback goes to STAGING_DIR/error.txt and the exit code is 1.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import pathlib
import sys
import time

from scripts.engine import normalise, paths, runtime, verdicts, worker
from scripts.engine.errors import EngineError


def _import_script(script: str):
    """Import a script by path as a module of the project, so its own imports resolve as usual."""
    module_name = pathlib.Path(script).with_suffix("").as_posix().replace("/", ".")
    return importlib.import_module(module_name)


def run(spec: dict, staging: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scripts.engine import style
    from scripts.engine.api import Result, format_value
    from scripts.engine.style import rc

    module = _import_script(spec["script"])
    for fn in ("compute", "plot"):
        if not callable(getattr(module, fn, None)):
            raise TypeError(f"{spec['script']} must define {fn}(); see scripts/engine/api.py")
    import numpy  # noqa: F401  (seeded below with the rest)

    runtime.apply_in_job(int(spec.get("threads", 1)))
    t0 = time.perf_counter()
    result = module.compute(dict(spec["params"]))
    if not isinstance(result, Result):
        raise TypeError(f"{spec['script']}: compute() returned {type(result).__name__}, expected api.Result")
    check_finite(pathlib.Path(spec["script"]), result)
    for phone in (False, True):  # the column's rendering, then the phone's (style.layout)
        for theme in paths.THEMES:
            with style.layout("phone" if phone else "desktop"), plt.rc_context(rc(theme)):  # rc reads the layout
                fig = module.plot(result, theme)
                style.enforce(fig, spec["id"], theme)  # readability: bad text fails the job
                buf = io.StringIO()
                fig.savefig(buf, format="svg", metadata={"Date": None})
                plt.close(fig)
            (staging / paths.image_name(spec["id"], theme, phone)).write_text(
                normalise.canonical_svg(style.web_svg(buf.getvalue())))
    if spec.get("widget"):
        if result.widget_data is None:
            raise TypeError(f"{spec['script']}: an interactive figure must return Result(widget_data=...)")
        (staging / paths.data_name(spec["id"])).write_text(normalise.canonical_data(result.widget_data))
    shards = result.widget_shards or []
    if len(shards) != spec.get("shards", 0):
        raise TypeError(f"{spec['script']}: compute() returned {len(shards)} widget shards; its declaration says "
                        f"shards: {spec.get('shards', 0)} — make the two agree")
    for i, shard in enumerate(shards):
        (staging / paths.shard_name(spec["id"], i)).write_text(normalise.canonical_data(shard))
    # the job's own work, for the benchmark's per-job overhead (not an output: it stays in staging)
    (staging / "timing.json").write_text(json.dumps({"compute_and_plot": time.perf_counter() - t0}))
    values = {k: format_value(v) for k, v in sorted(result.values.items())}
    claims = verdicts.records(spec["id"], spec.get("verdicts", {}), result.verdicts)
    record = {"id": spec["id"], "script": spec["script"], "values": values, "verdicts": claims}
    if result.tables:  # {{ table("id.key") }}: HTML tables in the page (api.Table)
        record["tables"] = {k: t.as_json() for k, t in sorted(result.tables.items())}
    (staging / paths.values_name(spec["id"])).write_text(json.dumps(
        record,
        indent=1, sort_keys=True, ensure_ascii=False) + "\n")


class NonFiniteError(EngineError):
    """compute() returned NaN or infinity where a page would print it."""


def check_finite(script: pathlib.Path, result) -> None:
    """Refuse a NaN or an infinity in values, verdict estimates and table cells, where it was produced: the
    error names the script's line that mentions the key (else its compute()) and the key. A page would
    otherwise print "nan", and a NaN verdict would fail later inside verdicts.py, far from its cause."""
    bad = [(f"values[{k!r}]", k, v) for k, v in result.values.items() if not _finite(v)]
    for key, est in result.verdicts.items():
        for seed, e in (est.items() if isinstance(est, dict) else [("", est)]):
            for name in ("value", "low", "high"):
                if not _finite(getattr(e, name, 0.0)):
                    at = f"[{seed!r}]" if seed else ""
                    bad.append((f"verdicts[{key!r}]{at}.{name}", key, getattr(e, name)))
    for key, table in result.tables.items():
        bad += [(f"tables[{key!r}] row {i} column {j}", key, c)
                for i, row in enumerate(table.rows) for j, c in enumerate(row) if not _finite(c)]
    if bad:
        where, key, v = bad[0]
        more = f" (and {len(bad) - 1} more: {', '.join(b[0] for b in bad[1:4])})" if len(bad) > 1 else ""
        raise NonFiniteError(
            f"compute() returned {v} for {where}{more}. A page cannot publish it: find where it becomes "
            "non-finite (a division by zero, a log of 0, an empty mean) and fix it, or return a string that says "
            "what it is (e.g. \"undefined: no windows\"). The last good output is kept.",
            where=f"{script.as_posix()}:{_line_of(script, key)}")


def _finite(v) -> bool:
    if isinstance(v, (str, bool)) or v is None:
        return True
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return True


def _line_of(script: pathlib.Path, key: str) -> int:
    """The first line of the script that names `key` in quotes, else the line of `def compute`."""
    try:
        lines = script.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for quoted in (f'"{key}"', f"'{key}'"):
        for i, line in enumerate(lines, 1):
            if quoted in line:
                return i
    return next((i for i, line in enumerate(lines, 1) if line.startswith("def compute")), 1)


if __name__ == "__main__":
    sys.exit(worker.main(run, sys.argv[1:]))
