"""Figure declarations: one YAML entry per figure ties its id to its script, parameters and inputs.

Every `figures/*.yml` file holds declarations (one file per note keeps merges painless):

```yaml
near-orthogonal:                              # the id pages use: {{ figure("near-orthogonal") }}
  script: scripts/figures/near_orthogonal.py  # defines compute(params) and plot(result, theme)
  params: {trials: 2000}                      # optional, passed to compute(); part of the fingerprint
  inputs: [models/attn-2l]                    # optional: checkpoints or data files/folders it reads
  caption: How close to orthogonal random unit vectors are.
  alt: Histogram of cosine similarities, narrowing as the dimension grows.
  verdicts:                                   # optional: claims this figure's computation settles
    matches-sqrt-d:                           # pages place it with {{ verdict("near-orthogonal.matches-sqrt-d") }}
      claim: Random directions in d dimensions have cosines of spread 1/√d.  # one sentence, the paper's
      cite: "[@elhage2022superposition, § Background]"                       # where the paper says it
      statistic: worst relative error of the cosines' standard deviation against 1/√d
      rule: "< 0.05"                          # fixed before looking; see scripts/engine/verdicts.py
      paper: "..."                            # optional: the paper's own number, shown beside ours (not computed)
  timeout: 600                                # optional: seconds before the job is stopped (default 300)
  max_output_mb: 4                            # optional: largest output file accepted (default 2 MB)
  shards: 104                                 # optional, with widget: the script also returns this many shards
```

A widget whose data is too large to load with its page (the feature browser) returns `Result(widget_shards=
[...])` besides its small `widget_data`: shard i is written to `<id>.shard-<iii>.data.json` and fetched by the
browser when needed. The count is declared so the outputs are known before the job runs (staleness, publishing).

Limits: a job that runs past its `timeout` is stopped (with whatever it started) and keeps its last good
outputs; an output file over `max_output_mb` is refused before anything is installed. A notebook sets its
time limit with a line `# engine-timeout: 600`. Neither limit is part of the fingerprint: they decide
whether a result is accepted, never what it is.

Notebook pages (jupytext `.py` files under `docs/`) need no declaration: each is a job of its own.

A trained model is an *artifact*: declared the same way, with `train:` instead of `script:`. Its training
code is traced like a figure's; its output folder is committed; a figure that lists the folder (or a file in
it) under `inputs` is stale whenever the artifact is. See scripts/engine/artifacts.py.

```yaml
grokking-seed0:
  train: scripts/grokking/train.py   # defines build_artifact(params, out_dir, cache_dir)
  params: {seed: 0}
  output: models/grokking-seed0      # one folder, written atomically
  minutes: 40                        # expected training time on the reference machine (2 cores)
```

A mistake is confined to what it breaks, and named with `file:line`: invalid YAML makes that file's figures
unavailable (its ids are still recognised, so pages say "unavailable" rather than "unknown"); a bad entry
(missing script, unknown key, an id declared twice) makes only that figure unavailable. Every other figure
builds and renders as usual; the errors are reported once each (`Declarations.errors`).
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from scripts.engine import paths, verdicts
from scripts.engine.errors import EngineError

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"script", "params", "inputs", "caption", "alt", "widget", "verdicts", "timeout", "max_output_mb", "shards",
         "heads"}
# Limits every job runs under unless its declaration raises them. The slowest figure here computes in about
# a minute on 2 cores (README, Benchmarks): 300 s leaves room for a loaded machine, and still ends a runaway
# loop within five minutes. 2 MB is ten times the largest output committed (a widget's data, 205 KB).
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MAX_OUTPUT_MB = 2.0
_ARTIFACT_KEYS = {"train", "params", "inputs", "output", "minutes", "threads", "description"}
# interactive figures: docs/assets/javascripts/widgets.js renders them
WIDGETS = {"attention-explorer", "training-slider", "superposition-explorer", "feature-browser"}


class DeclarationError(EngineError):
    """A declaration is malformed; the message names `file:line` and what to fix."""

    def __init__(self, message: str, *, where: str | None = None, ids: tuple[str, ...] = ()):
        super().__init__(message, where=where)
        self.ids = ids  # the figure ids this error makes unavailable


@dataclass(frozen=True)
class Job:
    """One unit of work for the engine: a declared figure or a notebook page."""

    id: str
    kind: str  # "figure" | "notebook" | "artifact"
    script: pathlib.Path  # relative to the project root
    declared_in: pathlib.Path
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[pathlib.Path, ...] = ()
    caption: str = ""
    alt: str = ""
    heads: dict[str, str] = field(default_factory=dict)  # value key (or "*") -> the model its head names are of
    widget: str | None = None  # an interactive figure: the job also writes <id>.data.json for it
    shards: int = 0  # a widget's data fetched on demand: <id>.shard-<i>.data.json, i < shards
    verdicts: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> claim, cite, statistic, rule
    papers: dict[str, str] = field(default_factory=dict)  # key -> the paper's own number (`paper:`), for readers
    output: pathlib.Path | None = None  # an artifact's output folder, relative to the project root
    minutes: float = 0.0  # an artifact's expected training time
    threads: int = 1  # an artifact's thread count: fixed, so its bits do not depend on the machine's cores
    timeout: float = DEFAULT_TIMEOUT_S  # seconds a figure or notebook job may run before it is stopped
    max_output_mb: float = DEFAULT_MAX_OUTPUT_MB  # the largest output file a job may install

    def outputs(self, out_dir: pathlib.Path) -> list[pathlib.Path]:
        """Output files (see paths.py); the two images and the widget data are published with the site."""
        layout = paths.Layout()
        if self.kind == "artifact":  # every file under its folder (out_dir is <root>/figures/out)
            folder = out_dir.parents[1] / self.output
            return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
        if self.kind == "notebook":
            return [layout.notebook_output(self.id, out_dir)]
        return layout.figure_outputs(self.id, widget=bool(self.widget), shards=self.shards, out_dir=out_dir)


@dataclass
class Declarations:
    """Every job that could be read, and the errors of those that could not (each reported once)."""

    jobs: dict[str, Job] = field(default_factory=dict)
    errors: list[DeclarationError] = field(default_factory=list)

    @property
    def unavailable(self) -> dict[str, DeclarationError]:
        """Declared ids that cannot be built because of an error -> that error."""
        return {fid: e for e in self.errors for fid in e.ids}


def _yaml_error(e: yaml.YAMLError, rel: pathlib.Path, text: str) -> DeclarationError:
    """The line to fix: where the unclosed construct began (context) if PyYAML knows it, else the problem;
    a problem detected at the end of the file is reported on the last line that has content."""
    mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
    line = None
    if mark is not None:
        lines = text.split("\n")
        line = min(mark.line, len(lines) - 1)
        while line > 0 and not lines[line].strip():
            line -= 1
        line += 1
    problem = getattr(e, "problem", None) or str(e)
    ids = tuple(m.group(1) for m in re.finditer(r"^([a-z0-9][a-z0-9-]*)\s*:", text, re.M))  # its figures, roughly
    return DeclarationError(f"not valid YAML ({problem}); fix the syntax — this file's figures are unavailable "
                            "until then.", where=f"{rel}:{line}" if line else str(rel), ids=ids)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: ~10x faster


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The document's node tree (for line numbers) and its data, from one parse."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data or {}


def _load_file(path: pathlib.Path, root: pathlib.Path) -> tuple[dict[str, Job], dict[str, int], list[DeclarationError]]:
    """The file's jobs, the line of each id, and its errors (a broken entry makes only itself unavailable)."""
    rel = path.relative_to(root)
    text = path.read_text(encoding="utf-8")
    try:
        node, data = _parse(text)
    except yaml.YAMLError as e:
        return {}, {}, [_yaml_error(_pure_python_error(text, e), rel, text)]
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        return {}, {}, [DeclarationError("expected a mapping of figure ids to declarations.", where=f"{rel}:1")]
    lines, key_lines, errors = _id_lines(node, rel)
    twice = {fid for e in errors for fid in e.ids}
    jobs = {}
    for fid, spec in data.items():
        if fid in twice:
            continue

        def fail(msg: str, key: str | None = None, fid=fid) -> None:  # None: `return fail(...)` rejects the entry
            where = f"{rel}:{key_lines.get(fid, {}).get(key, lines.get(fid, 1))}"
            errors.append(DeclarationError(f"figure {fid!r}: {msg}", where=where, ids=(str(fid),)))

        if not isinstance(fid, str) or not ID_PATTERN.match(fid):
            fail("ids are lower-case letters, digits and dashes, e.g. 'ov-copying'.")
            continue
        if not isinstance(spec, dict):
            fail(f"expected keys {sorted(_KEYS)}.")
            continue
        job = (_artifact if "train" in spec else _figure)(fid, spec, rel, root, fail)
        if job is not None:
            jobs[fid] = job
    return jobs, lines, errors


def _pure_python_error(text: str, e: yaml.YAMLError) -> yaml.YAMLError:
    """The pure-Python parser's error for `text`, whose marks _yaml_error knows how to read (else `e`)."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e2:
        return e2
    return e


def _id_lines(node: yaml.MappingNode, rel: pathlib.Path
              ) -> tuple[dict[str, int], dict[str, dict[str, int]], list[DeclarationError]]:
    """The line of each figure id, the lines of each one's keys, and an error for each id declared twice."""
    lines: dict[str, int] = {}  # figure id -> line of its key
    key_lines: dict[str, dict[str, int]] = {}  # figure id -> its keys' lines
    errors: list[DeclarationError] = []
    for key_node, value_node in node.value:
        fid, line = key_node.value, key_node.start_mark.line + 1
        if fid in lines:
            errors.append(DeclarationError(f"figure {fid!r} is declared twice (first on line {lines[fid]}); ids must "
                                           "be unique.", where=f"{rel}:{line}", ids=(fid,)))
            continue
        lines[fid] = line
        if isinstance(value_node, yaml.MappingNode):
            key_lines[fid] = {k.value: k.start_mark.line + 1 for k, _ in value_node.value}
    return lines, key_lines, errors


def _figure(fid: str, spec: dict, rel: pathlib.Path, root: pathlib.Path, fail) -> Job | None:
    """A figure entry (`script:`), or None after reporting what is wrong with it."""
    unknown = set(spec) - _KEYS
    if unknown:
        return fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}.", sorted(unknown)[0])
    missing = [k for k in ("script", "caption", "alt") if not spec.get(k)]
    if missing:
        return fail(f"missing '{missing[0]}'.")
    script = pathlib.Path(spec["script"])
    if not (root / script).is_file():
        return fail(f"script {script} does not exist; create it (see README, Writing a note) or fix the path.",
                    "script")
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        return fail("'params' must be a mapping.", "params")
    inputs = spec.get("inputs") or []
    if not isinstance(inputs, list):
        return fail("'inputs' must be a list of paths.", "inputs")
    widget = spec.get("widget")
    if widget is not None and widget not in WIDGETS:
        return fail(f"unknown widget {widget!r}; known: {sorted(WIDGETS)}.", "widget")
    shards = spec.get("shards", 0)
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 0 or (shards and not widget):
        return fail("'shards' must be a whole number of data files for the figure's widget (and needs 'widget:').",
                    "shards")
    heads = spec.get("heads") or {}  # `heads: model`, or `heads: {value-key: model, "*": model}`
    heads = {"*": heads} if isinstance(heads, str) else heads
    if not isinstance(heads, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in heads.items()):
        return fail("'heads' names the model whose heads the values name: a model (heads: attn-only-2l) or a "
                    "mapping from value keys to models ({z_1l: attn-only-1l, '*': attn-only-2l}).", "heads")
    try:
        raw_verdicts, papers = _papers(spec.get("verdicts"))
        verdict_specs = verdicts.parse_specs(raw_verdicts)
    except verdicts.VerdictError as e:
        return fail(str(e), "verdicts")
    limits = {k: spec.get(k, default) for k, default in (("timeout", DEFAULT_TIMEOUT_S),
                                                          ("max_output_mb", DEFAULT_MAX_OUTPUT_MB))}
    bad = [k for k, v in limits.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0]
    if bad:
        return fail(f"'{bad[0]}' must be a positive number ({'seconds' if bad[0] == 'timeout' else 'megabytes'}), "
                    f"e.g. {bad[0]}: {600 if bad[0] == 'timeout' else 4}.", bad[0])
    return Job(
        id=fid, kind="figure", script=script, declared_in=rel, params=params,
        inputs=tuple(pathlib.Path(p) for p in inputs),
        caption=str(spec["caption"]).strip(), alt=str(spec["alt"]).strip(), widget=widget, shards=shards, heads=heads,
        verdicts=verdict_specs, papers=papers, timeout=float(limits["timeout"]),
        max_output_mb=float(limits["max_output_mb"]),
    )


def _papers(raw: object) -> tuple[object, dict[str, str]]:
    """Split each verdict's `paper:` (the paper's own number, quoted for the reader beside ours) from what the
    job computes: the job never sees it, so quoting or correcting it re-runs nothing."""
    if not isinstance(raw, dict):
        return raw, {}
    papers = {k: v["paper"] for k, v in raw.items() if isinstance(v, dict) and v.get("paper") is not None}
    for key, text in papers.items():
        if not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
            raise verdicts.VerdictError(f"verdict {key!r}: 'paper' must be the paper's number as one line of text, "
                                        f'e.g. paper: "10 of its 12 heads copy" (got {text!r})')
    papers = {k: str(v).strip() for k, v in papers.items()}
    return {k: ({kk: vv for kk, vv in v.items() if kk != "paper"} if isinstance(v, dict) else v)
            for k, v in raw.items()}, papers


def _artifact(fid: str, spec: dict, rel: pathlib.Path, root: pathlib.Path, fail) -> Job | None:
    """An artifact entry (`train:`), or None after reporting what is wrong with it."""
    unknown = set(spec) - _ARTIFACT_KEYS
    if unknown:
        return fail(f"unknown key(s) {sorted(unknown)} for an artifact; allowed: {sorted(_ARTIFACT_KEYS)}.",
                    sorted(unknown)[0])
    for key in ("output", "minutes"):
        if spec.get(key) in (None, ""):
            return fail(f"an artifact needs '{key}' (see scripts/engine/artifacts.py).")
    script = pathlib.Path(spec["train"])
    if not (root / script).is_file():
        return fail(f"training script {script} does not exist; fix the path.", "train")
    if not isinstance(spec.get("params") or {}, dict):
        return fail("'params' must be a mapping.", "params")
    if not isinstance(spec["minutes"], (int, float)) or spec["minutes"] <= 0:
        return fail("'minutes' must be a positive number (the expected training time).", "minutes")
    threads = spec.get("threads", 1)
    if not isinstance(threads, int) or threads < 1:
        return fail("'threads' must be a positive integer.", "threads")
    inputs = spec.get("inputs") or []
    if not isinstance(inputs, list):
        return fail("'inputs' must be a list of paths.", "inputs")
    return Job(id=fid, kind="artifact", script=script, declared_in=rel, params=spec.get("params") or {},
               inputs=tuple(pathlib.Path(p) for p in inputs), caption=str(spec.get("description", "")).strip(),
               output=pathlib.Path(spec["output"]), minutes=float(spec["minutes"]), threads=threads)


_NOTEBOOK_INPUTS = re.compile(r"^# engine-inputs:(.*)$", re.M)
_NOTEBOOK_TIMEOUT = re.compile(r"^# engine-timeout:\s*(\d+(?:\.\d+)?)\s*$", re.M)


def _notebook_inputs(path: pathlib.Path) -> tuple[pathlib.Path, ...]:
    """A notebook names the files it reads (e.g. a trained artifact) in a comment line
    `# engine-inputs: models/a models/b`, so it goes stale with them like a figure."""
    m = _NOTEBOOK_INPUTS.search(path.read_text(encoding="utf-8"))
    return tuple(pathlib.Path(p) for p in m.group(1).split()) if m else ()


def load_declarations(root: pathlib.Path, figures_dir: pathlib.Path, docs_dir: pathlib.Path) -> Declarations:
    """All figure declarations in `figures_dir/*.yml` plus one notebook job per `docs/**/*.py`; errors are
    collected, never raised, so one broken entry cannot hide the others."""
    out = Declarations()
    where: dict[str, str] = {}  # id -> file:line of the declaration kept
    for path in sorted(figures_dir.glob("*.yml")):
        jobs, lines, errors = _load_file(path, root)
        out.errors += errors
        for fid, job in jobs.items():
            here = f"{job.declared_in}:{lines.get(fid, 1)}"
            if fid in out.jobs:  # the same id in two files: neither is trusted until one is renamed
                del out.jobs[fid]
                out.errors.append(DeclarationError(f"figure {fid!r} is already declared at {where[fid]}; ids must be "
                                                   "unique.", where=here, ids=(fid,)))
            elif fid in out.unavailable:
                out.errors.append(DeclarationError(f"figure {fid!r} is already declared (with an error); ids must be "
                                                   "unique.", where=here, ids=(fid,)))
            else:
                out.jobs[fid], where[fid] = job, here
    for nb in sorted(docs_dir.rglob("*.py")):
        rel = nb.relative_to(root)
        stem = nb.relative_to(docs_dir).with_suffix("").as_posix().replace("/", "--")
        timeout = _NOTEBOOK_TIMEOUT.search(nb.read_text(encoding="utf-8"))
        out.jobs[f"notebook:{stem}"] = Job(id=f"notebook:{stem}", kind="notebook", script=rel, declared_in=rel,
                                           inputs=_notebook_inputs(nb),
                                           timeout=float(timeout.group(1)) if timeout else DEFAULT_TIMEOUT_S)
    return out


def load_jobs(root: pathlib.Path, figures_dir: pathlib.Path, docs_dir: pathlib.Path) -> dict[str, Job]:
    """The jobs that can be built; raises the first DeclarationError if any declaration is broken."""
    decl = load_declarations(root, figures_dir, docs_dir)
    if decl.errors:
        raise decl.errors[0]
    return decl.jobs
