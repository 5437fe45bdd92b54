"""Which declared claims no test covers: every verdict needs a test that can make it fail.

The convention: claim `key` of figure `fid` is covered when a test module (`tests/test_*.py`) holds the string
literal `"fid.key"` exactly — the verdict id that `tests/claims_helpers.py`'s `decide()` and `declared_rule()`
take, so the test that feeds the claim's rule data where the claim is false names it by construction:

    assert decide("icl-by-position.two-layers-gain-more", estimate) != "supported"

Only a whole string literal counts. A comment, a docstring or an f-string that assembles the id does not (a
loop over several claims spells out their full ids), so a mention in passing is never mistaken for a test, and
the stub `make note` writes — which names its claim inside its failure message — does not cover it either.

`python -m scripts.engine check` fails on each uncovered claim with the `file:line` of its declaration.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from scripts.engine.declarations import Job

TESTS = "tests/test_*.py"  # what pytest collects


@dataclass(frozen=True)
class Uncovered:
    """A declared claim that no test names."""

    verdict_id: str  # "figure-id.claim-key"
    where: str  # file:line of the claim's key in its declaration

    def __str__(self) -> str:
        return (f'{self.where}: claim "{self.verdict_id}" has no test — write one in tests/test_claims_*.py that '
                f'feeds its rule data where the claim is false, naming it as decide("{self.verdict_id}", estimate) '
                "(tests/claims_helpers.py; README, Writing a note)")


def string_literals(source: str) -> set[str]:
    """Every plain string literal of a Python module (none if it does not parse: pytest reports that)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def claim_lines(declaration: str) -> dict[str, int]:
    """"fid.key" -> line of the claim's key in a figures/*.yml text (what could be parsed of it)."""
    try:
        root = yaml.compose(declaration, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    lines = {}
    for fid, spec in _items(root):
        for name, verdicts in _items(spec):
            if name.value == "verdicts":
                lines.update({f"{fid.value}.{key.value}": key.start_mark.line + 1 for key, _ in _items(verdicts)})
    return lines


def _items(node) -> list:
    return node.value if isinstance(node, yaml.MappingNode) else []


def uncovered(jobs: Mapping[str, Job], tests: Mapping[str, str], declarations: Mapping[str, str]) -> list[Uncovered]:
    """The declared claims no test names, in declaration order. `tests`: path -> text of each test module;
    `declarations`: path (as `Job.declared_in`) -> text of each figures/*.yml, for the lines."""
    named = set().union(*map(string_literals, tests.values()))
    out = []
    for job in jobs.values():
        path = job.declared_in.as_posix()
        lines = claim_lines(declarations.get(path, ""))
        for key in job.verdicts:
            vid = f"{job.id}.{key}"
            if vid not in named:
                out.append(Uncovered(vid, f"{path}:{lines.get(vid, 1)}"))
    return out


def project_uncovered(root: pathlib.Path, jobs: Mapping[str, Job]) -> list[Uncovered]:
    """`uncovered` for the project at `root`: its test modules and its declarations, read from disk."""
    tests = {p.as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.glob(TESTS))}
    files = {job.declared_in.as_posix() for job in jobs.values() if job.verdicts}
    return uncovered(jobs, tests, {f: (root / f).read_text(encoding="utf-8") for f in files})
