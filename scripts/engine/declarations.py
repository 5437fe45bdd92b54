"""Figure declarations: one YAML entry per figure ties its id to its script, parameters and inputs.

Every `figures/*.yml` file holds declarations (one file per note keeps merges painless):

```yaml
near-orthogonal:                              # the id pages use: {{ figure("near-orthogonal") }}
  script: scripts/figures/near_orthogonal.py  # defines compute(params) and plot(result, theme)
  params: {trials: 2000}                      # optional, passed to compute(); part of the fingerprint
  inputs: [models/attn-2l]                    # optional: checkpoints or data files/folders it reads
  caption: How close to orthogonal random unit vectors are.
  alt: Histogram of cosine similarities, narrowing as the dimension grows.
```

Notebook pages (jupytext `.py` files under `docs/`) need no declaration: each is a job of its own.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"script", "params", "inputs", "caption", "alt", "widget"}
WIDGETS = {"attention-explorer"}  # interactive figures: docs/assets/javascripts/widgets.js renders them


class DeclarationError(ValueError):
    """A declaration file is malformed; the message names the file and what to fix."""


@dataclass(frozen=True)
class Job:
    """One unit of work for the engine: a declared figure or a notebook page."""

    id: str
    kind: str  # "figure" | "notebook"
    script: pathlib.Path  # relative to the project root
    declared_in: pathlib.Path
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[pathlib.Path, ...] = ()
    caption: str = ""
    alt: str = ""
    widget: str | None = None  # an interactive figure: the job also writes <id>.data.json for it

    def outputs(self, out_dir: pathlib.Path) -> list[pathlib.Path]:
        """Output files; the first two (images) and the widget data are published with the site."""
        if self.kind == "notebook":
            return [out_dir / "notebooks" / f"{self.id.removeprefix('notebook:')}.ipynb"]
        files = [out_dir / f"{self.id}.light.svg", out_dir / f"{self.id}.dark.svg", out_dir / f"{self.id}.json"]
        return files + ([out_dir / f"{self.id}.data.json"] if self.widget else [])


def _load_file(path: pathlib.Path, root: pathlib.Path) -> dict[str, Job]:
    rel = path.relative_to(root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{rel}:{mark.line + 1}" if mark else str(rel)
        raise DeclarationError(f"{where}: not valid YAML ({getattr(e, 'problem', e)}). Fix the syntax.") from e
    if not isinstance(data, dict):
        raise DeclarationError(f"{rel}: expected a mapping of figure ids to declarations.")
    jobs = {}
    for fid, spec in data.items():
        where = f"{rel}: figure {fid!r}"
        if not isinstance(fid, str) or not ID_PATTERN.match(fid):
            raise DeclarationError(f"{where}: ids are lower-case letters, digits and dashes, e.g. 'ov-copying'.")
        if not isinstance(spec, dict):
            raise DeclarationError(f"{where}: expected keys {sorted(_KEYS)}.")
        unknown = set(spec) - _KEYS
        if unknown:
            raise DeclarationError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}.")
        for required in ("script", "caption", "alt"):
            if not spec.get(required):
                raise DeclarationError(f"{where}: missing '{required}'.")
        script = pathlib.Path(spec["script"])
        if not (root / script).is_file():
            raise DeclarationError(f"{where}: script {script} does not exist.")
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            raise DeclarationError(f"{where}: 'params' must be a mapping.")
        inputs = spec.get("inputs") or []
        if not isinstance(inputs, list):
            raise DeclarationError(f"{where}: 'inputs' must be a list of paths.")
        widget = spec.get("widget")
        if widget is not None and widget not in WIDGETS:
            raise DeclarationError(f"{where}: unknown widget {widget!r}; known: {sorted(WIDGETS)}.")
        jobs[fid] = Job(
            id=fid, kind="figure", script=script, declared_in=rel, params=params,
            inputs=tuple(pathlib.Path(p) for p in inputs),
            caption=str(spec["caption"]).strip(), alt=str(spec["alt"]).strip(), widget=widget,
        )
    return jobs


def load_jobs(root: pathlib.Path, figures_dir: pathlib.Path, docs_dir: pathlib.Path) -> dict[str, Job]:
    """All figure declarations in `figures_dir/*.yml` plus one notebook job per `docs/**/*.py`."""
    jobs: dict[str, Job] = {}
    for path in sorted(figures_dir.glob("*.yml")):
        for fid, job in _load_file(path, root).items():
            if fid in jobs:
                raise DeclarationError(
                    f"{job.declared_in}: figure {fid!r} is already declared in {jobs[fid].declared_in}; "
                    "ids must be unique."
                )
            jobs[fid] = job
    for nb in sorted(docs_dir.rglob("*.py")):
        rel = nb.relative_to(root)
        stem = nb.relative_to(docs_dir).with_suffix("").as_posix().replace("/", "--")
        jobs[f"notebook:{stem}"] = Job(id=f"notebook:{stem}", kind="notebook", script=rel, declared_in=rel)
    return jobs
