"""Source view: every figure script, and every project module it imports, as a page of the site.

"Computed by scripts/figures/x.py" under a figure links here, so a reader can read the code that made a
figure and the analysis functions it calls without leaving the site (the repository may not be public, and
a published site should not depend on where the code is hosted). Pages are generated at build time from
the files themselves and the engine's import trace; they are not in the navigation.
"""

from __future__ import annotations

import pathlib
import posixpath
from collections.abc import Iterable

from scripts.engine.tracing import trace

PREFIX = "source"


def page_uri(script: pathlib.Path | str) -> str:
    """The generated page of a project file: scripts/figures/x.py -> source/scripts/figures/x.md."""
    return f"{PREFIX}/{pathlib.PurePosixPath(str(script)).with_suffix('').as_posix()}.md"


def page_url(script: pathlib.Path | str) -> str:
    """Its URL (directory URLs), for links: source/scripts/figures/x/."""
    return page_uri(script).removesuffix(".md") + "/"


def pages(root: pathlib.Path, scripts: Iterable[pathlib.Path]) -> dict[str, str]:
    """src uri -> Markdown, for the given scripts (relative to root) and every project module they import."""
    root = root.resolve()
    imports: dict[str, set[str]] = {}
    for script in sorted(set(scripts)):
        files = trace(root / script, root).files
        rel = [f.resolve().relative_to(root).as_posix() for f in files]
        imports[pathlib.PurePosixPath(str(script)).as_posix()] = {r for r in rel if r != script.as_posix()}
        for r in rel:
            imports.setdefault(r, set())
    out = {}
    for rel, deps in sorted(imports.items()):
        code = (root / rel).read_text(encoding="utf-8")
        fence = "`" * max(3, 1 + max((len(run) for run in code.split() if set(run) == {"`"}), default=0))
        shown = [d for d in sorted(deps) if not d.endswith("__init__.py")]
        here = posixpath.dirname(page_uri(rel))
        links = ", ".join(f"[`{d}`]({posixpath.relpath(page_uri(d), here)})" for d in shown)
        lines = [f"# `{rel}`", "",
                 "The code behind the figures, as the engine ran it when the site was built. "
                 + (f"It imports {links}." if links else ""), "",
                 f"{fence}python", code.rstrip("\n"), fence, ""]
        out[page_uri(rel)] = "\n".join(lines)
    return out
