"""Static import tracing: which project files and which libraries a script depends on.

A figure is stale when its script, *any project module it imports directly or transitively*, or a library
that shapes its output changes. We read imports from the syntax tree (`ast`), never by importing: tracing a
figure that uses torch must not import torch, so a no-op build stays fast and works without torch installed.

Resolution rules (the ones Python's import system applies to a project laid out as plain packages):
- `import a.b.c` depends on `a/__init__.py`, `a/b/__init__.py` and `a/b/c.py` (each package runs its init);
- `from a.b import c` depends on `a.b` and, when `c` is a submodule rather than a name, on `a/b/c.py`;
- relative imports resolve against the importing module's package;
- a top-level name that is not a project module is a library (e.g. `torch`, `numpy`).
Imports inside functions and `if TYPE_CHECKING:` blocks count too: tracing is conservative.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import pathlib
import sys
from dataclasses import dataclass, field

from scripts.engine import filecache
from scripts.engine.errors import EngineError


@dataclass
class Trace:
    """Everything one entry script depends on."""

    files: set[pathlib.Path] = field(default_factory=set)  # project .py files, entry included
    libraries: set[str] = field(default_factory=set)  # top-level third-party module names


class TraceError(EngineError):
    """A file on the import path cannot be parsed."""


def _module_file(root: pathlib.Path, dotted: str) -> pathlib.Path | None:
    """The project file for a dotted module name, or None if it is not a project module."""
    base = root.joinpath(*dotted.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _package_of(root: pathlib.Path, path: pathlib.Path) -> str:
    """The package a file's relative imports resolve against: its folder, as a dotted name."""
    return ".".join(path.relative_to(root).parent.parts)


def _imports_of(path: pathlib.Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(module, names, level) for every import statement in a file; remembered on disk by the file's stat
    (`filecache.py`), so a no-op build parses nothing."""
    return [(m, tuple(n), lv) for m, n, lv in filecache.current().get(path, "imports", lambda: _parse_imports(path))]


def _parse_imports(path: pathlib.Path) -> list[list]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as e:
        raise TraceError(f"cannot trace imports, the file does not parse: {e.msg}", where=f"{path}:{e.lineno}") from e
    out: list[list] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend([alias.name, [], 0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            out.append([node.module or "", [a.name for a in node.names], node.level])
    return out


_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


def trace(entry: pathlib.Path, root: pathlib.Path, resolved: dict | None = None) -> Trace:
    """Follow imports from `entry` through every project module under `root`. `resolved` memoises which
    dotted names are project files; pass one dict to all the traces of one scan (a build's plan)."""
    root = root.resolve()
    resolved = {} if resolved is None else resolved

    def module_file(dotted: str) -> pathlib.Path | None:
        key = (root, dotted)
        if key not in resolved:
            resolved[key] = _module_file(root, dotted)
        return resolved[key]

    result = Trace()
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        if path in result.files:
            continue
        result.files.add(path)
        # an entry outside the project (e.g. a temp dir in tests) has absolute imports only
        package = _package_of(root, path) if path.is_relative_to(root) else ""
        try:
            imports = _imports_of(path)
        except TraceError as e:  # name the file as the project does: relative to its root
            where = e.where or ""
            if path.is_relative_to(root):
                where = where.replace(str(path), path.relative_to(root).as_posix(), 1)
            raise TraceError(e.message, where=where) from e
        for module, names, level in imports:
            if level:
                base_parts = package.split(".") if package else []
                if level > 1:
                    base_parts = base_parts[: len(base_parts) - (level - 1)]
                module = ".".join(base_parts + ([module] if module else []))
            if not module:
                continue
            top = module.split(".")[0]
            if module_file(top) is None:
                if top not in _STDLIB:
                    result.libraries.add(top)
                continue
            parts = module.split(".")  # every package on the way runs its __init__; `from pkg import submodule`
            dotted = [".".join(parts[:i]) for i in range(1, len(parts) + 1)] + [f"{module}.{n}" for n in names]
            todo += [f for f in map(module_file, dotted) if f is not None]
    return result


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # ~0.2 s: only when a name needs it


def library_versions(modules: set[str]) -> dict[str, str]:
    """Installed distribution versions for top-level module names (no import happens).

    Most modules share their distribution's name (torch, numpy, transformer_lens); those are looked up
    directly. The full module-to-distribution map (slow to build) is read only for the others (yaml).
    """
    return dict(pair for mod in sorted(modules) for pair in _versions_of(mod))


@functools.cache
def _versions_of(mod: str) -> tuple[tuple[str, str], ...]:
    """Each lookup parses a METADATA file (~1 ms); a build asks for the same dozen libraries for every job.
    Remembered for the process: a library upgraded while `mkdocs serve` runs is seen after a restart."""
    try:
        dist = importlib.metadata.distribution(mod)
        return ((dist.metadata["Name"], dist.version),)
    except importlib.metadata.PackageNotFoundError:
        pass
    dists = _distributions().get(mod, [])
    return tuple((name, importlib.metadata.version(name)) for name in dists) or ((mod, "missing"),)
