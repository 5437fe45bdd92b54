"""Source view: every figure script, and every project module it imports, as a page of the site.

"Computed by scripts/figures/x.py" under a figure links here, so a reader can read the code that made a
figure and the analysis functions it calls without leaving the site (the repository may not be public, and
a published site should not depend on where the code is hosted). The pages are generated at build time from
the files themselves and the engine's import trace, as small static HTML files outside the theme.
"""

from __future__ import annotations

import hashlib
import html
import json
import pathlib
import posixpath
from collections.abc import Iterable

from scripts.engine import paths, snapshot
from scripts.engine.errors import EngineError
from scripts.engine.tracing import trace

PREFIX = "source"
_STYLE = ("body{font:14px/1.5 -apple-system,BlinkMacSystemFont,Helvetica,Arial,sans-serif;margin:1.5em auto;"
          "max-width:60em;padding:0 1em;color:#1f2328;background:#fff}h1{font-size:1.3em;overflow-wrap:anywhere}"
          "pre{font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;overflow-x:auto;background:#f6f8fa;padding:1em;"
          "border-radius:4px}a{color:#3f51b5}"
          "@media (prefers-color-scheme:dark){body{color:#e2e4e9;background:#1e2129}pre{background:#262a33}"
          "a{color:#8c9eff}}")


def page_uri(script: pathlib.Path | str) -> str:
    """The published source view of a project file: scripts/figures/x.py -> source/scripts/figures/x.py.html."""
    return f"{PREFIX}/{pathlib.PurePosixPath(str(script)).as_posix()}.html"


def cached_pages(root: pathlib.Path, scripts: Iterable[pathlib.Path], cache: pathlib.Path) -> dict[str, str]:
    """`pages`, with each script's import trace remembered in `cache` together with the stats of the files it
    read (snapshot.py's rule: exact stats, none taken within its racy window, and the code folders unchanged).
    Tracing is what costs; so after an edit only the scripts that read the edited file are traced again, and
    the pages are made from the files themselves every time."""
    root = root.resolve()
    wanted = sorted({pathlib.PurePosixPath(str(s)).as_posix() for s in scripts})
    key = [hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest(), snapshot.folders_stamp(root)]
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        known = data["traces"] if data["key"] == key else {}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    traces: dict[str, dict] = {}
    resolved: dict = {}  # one memo of module names -> files for all the traces (4x faster than one each)
    for script in wanted:
        entry = known.get(script)
        if entry is None or not snapshot.unchanged(entry["stats"]):
            try:
                files = [f.resolve().relative_to(root).as_posix() for f in trace(root / script, root, resolved).files]
            except EngineError:  # a file that does not parse: the engine reports it once; show what we knew
                files = [f for f in (entry or {}).get("files", [script]) if (root / f).is_file()]
                entry = {"files": files, "stats": None}  # never kept: traced again once the file is fixed
            else:
                entry = {"files": files, "stats": snapshot.file_stats([root / f for f in files])}
        traces[script] = entry
    keep = {s: e for s, e in traces.items() if e["stats"] is not None}  # racy stats vouch for nothing
    if keep != known:
        paths.atomic_write(cache, json.dumps({"key": key, "traces": keep}))
    return _pages(root, {s: e["files"] for s, e in traces.items()})


def pages(root: pathlib.Path, scripts: Iterable[pathlib.Path]) -> dict[str, str]:
    """site path -> HTML, for the given scripts (relative to root) and every project module they import.

    Plain static HTML (not Markdown pages): rendering 20-odd code pages through the theme doubled the
    time of a no-op site build; these cost nothing to build and read fine in light and dark."""
    root = root.resolve()
    resolved: dict = {}
    return _pages(root, {pathlib.PurePosixPath(str(s)).as_posix():
                         [f.resolve().relative_to(root).as_posix() for f in trace(root / s, root, resolved).files]
                         for s in sorted(set(scripts))})


def _pages(root: pathlib.Path, traces: dict[str, list[str]]) -> dict[str, str]:
    """The pages of the scripts in `traces` (script -> the project files its import trace found) and of those files."""
    imports: dict[str, set[str]] = {}
    for script, rel in sorted(traces.items()):
        imports[script] = {r for r in rel if r != script}
        for r in rel:
            imports.setdefault(r, set())
    out = {}
    for rel, deps in sorted(imports.items()):
        try:
            code = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):  # deleted or mid-save under serve: the next build has it
            continue
        here = posixpath.dirname(page_uri(rel))
        shown = [d for d in sorted(deps) if not d.endswith("__init__.py")]
        links = ", ".join(f'<a href="{html.escape(posixpath.relpath(page_uri(d), here))}">'
                          f'<code>{html.escape(d)}</code></a>'
                          for d in shown)
        home = posixpath.relpath("index.html", here)
        out[page_uri(rel)] = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{html.escape(rel)}</title><style>{_STYLE}</style>'
            f'</head><body><p><a href="{home}">← Circuits, checked</a></p><h1><code>{html.escape(rel)}</code></h1>'
            f"<p>The code behind the site's figures, as the engine ran it when the site was built."
            + (f" It imports {links}." if links else "") + "</p>"
            f"<pre><code>{html.escape(code)}</code></pre></body></html>\n")
    return out
