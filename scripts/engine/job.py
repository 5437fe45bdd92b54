"""Runs one figure job in its own process: compute once, plot once per theme, write to a staging folder.

Invoked by the engine as `python -m scripts.engine.job SPEC_JSON STAGING_DIR`. A fresh process per job
means an edited module is always re-imported and a crashing script cannot take `mkdocs serve` down.
Seeds are fixed before the script runs; SVGs carry no date and use a fixed hash salt, so the same inputs
give byte-identical files. On failure the traceback goes to STAGING_DIR/error.txt and the exit code is 1.
"""

from __future__ import annotations

import importlib
import json
import pathlib
import random
import sys

from scripts.engine import worker


def _import_script(script: str):
    """Import a script by path as a module of the project, so its own imports resolve as usual."""
    module_name = pathlib.Path(script).with_suffix("").as_posix().replace("/", ".")
    return importlib.import_module(module_name)


def _seed_everything(seed: int = 0) -> None:
    random.seed(seed)
    import numpy as np

    np.random.seed(seed)
    if "torch" in sys.modules:  # only if the script uses torch; never import it for nothing
        sys.modules["torch"].manual_seed(seed)


def run(spec: dict, staging: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scripts.engine.api import Result, format_value
    from scripts.engine.style import THEMES, rc

    module = _import_script(spec["script"])
    for fn in ("compute", "plot"):
        if not callable(getattr(module, fn, None)):
            raise TypeError(f"{spec['script']} must define {fn}(); see scripts/engine/api.py")
    _seed_everything()
    result = module.compute(dict(spec["params"]))
    if not isinstance(result, Result):
        raise TypeError(f"{spec['script']}: compute() returned {type(result).__name__}, expected api.Result")
    for theme in THEMES:
        with plt.rc_context(rc(theme)):
            fig = module.plot(result, theme)
            fig.savefig(staging / f"{spec['id']}.{theme}.svg", format="svg", metadata={"Date": None})
            plt.close(fig)
    if spec.get("widget"):
        if result.widget_data is None:
            raise TypeError(f"{spec['script']}: an interactive figure must return Result(widget_data=...)")
        (staging / f"{spec['id']}.data.json").write_text(json.dumps(result.widget_data, sort_keys=True, separators=(",", ":")))
    values = {k: format_value(v) for k, v in sorted(result.values.items())}
    (staging / f"{spec['id']}.json").write_text(
        json.dumps({"id": spec["id"], "script": spec["script"], "values": values}, indent=1, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    sys.exit(worker.main(run, sys.argv[1:]))
