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
import os
import pathlib
import posixpath
from collections.abc import Iterable

from scripts.engine.tracing import trace

PREFIX = "source"
_STYLE = ("body{font:14px/1.5 -apple-system,BlinkMacSystemFont,Helvetica,Arial,sans-serif;margin:1.5em auto;"
          "max-width:60em;padding:0 1em;color:#1f2328;background:#fff}h1{font-size:1.3em;overflow-wrap:anywhere}pre{font:13px/1.45 ui-monospace,Menlo,"
          "Consolas,monospace;overflow-x:auto;background:#f6f8fa;padding:1em;border-radius:4px}a{color:#3f51b5}"
          "@media (prefers-color-scheme:dark){body{color:#e2e4e9;background:#1e2129}pre{background:#262a33}"
          "a{color:#8c9eff}}")


def page_uri(script: pathlib.Path | str) -> str:
    """The published source view of a project file: scripts/figures/x.py -> source/scripts/figures/x.py.html."""
    return f"{PREFIX}/{pathlib.PurePosixPath(str(script)).as_posix()}.html"


def page_url(script: pathlib.Path | str) -> str:
    return page_uri(script)


def cached_pages(root: pathlib.Path, scripts: Iterable[pathlib.Path], cache: pathlib.Path,
                 stamp: str | None) -> dict[str, str]:
    """`pages`, remembered in `cache` under the engine's fresh snapshot (`stamp`, see snapshot.py): the
    snapshot holds the stat of every script and module these pages show, so while it stands nothing they
    show has changed. Without a stamp (something moved or is stale) the pages are made afresh."""
    wanted = sorted(pathlib.PurePosixPath(str(s)).as_posix() for s in set(scripts))
    stamp = stamp and f"{stamp}:{hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest()}"  # this page maker too
    if stamp:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data["stamp"] == stamp and data["scripts"] == wanted:
                return data["pages"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    out = pages(root, [pathlib.Path(s) for s in wanted])
    if stamp:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "scripts": wanted, "pages": out}), encoding="utf-8")
        os.replace(tmp, cache)
    return out


def pages(root: pathlib.Path, scripts: Iterable[pathlib.Path]) -> dict[str, str]:
    """site path -> HTML, for the given scripts (relative to root) and every project module they import.

    Plain static HTML (not Markdown pages): rendering 20-odd code pages through the theme doubled the
    time of a no-op site build; these cost nothing to build and read fine in light and dark."""
    root = root.resolve()
    imports: dict[str, set[str]] = {}
    resolved: dict = {}  # one memo of module names -> files for all the traces (4x faster than one each)
    for script in sorted(set(scripts)):
        files = trace(root / script, root, resolved).files
        rel = [f.resolve().relative_to(root).as_posix() for f in files]
        imports[pathlib.PurePosixPath(str(script)).as_posix()] = {r for r in rel if r != script.as_posix()}
        for r in rel:
            imports.setdefault(r, set())
    out = {}
    for rel, deps in sorted(imports.items()):
        code = (root / rel).read_text(encoding="utf-8")
        here = posixpath.dirname(page_uri(rel))
        shown = [d for d in sorted(deps) if not d.endswith("__init__.py")]
        links = ", ".join(f'<a href="{html.escape(posixpath.relpath(page_uri(d), here))}"><code>{html.escape(d)}</code></a>'
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
