"""A copy of this site without its posts, for tests that build imported or scaffolded posts on their own.

It keeps what shapes a post — mkdocs.yml's theme, plugins (`figures` too), Markdown extensions, the scripts, the
assets, the authors and the bibliography — and nothing that other posts could break: no other post, no page
linking them, no `extra` or `nav` that names them. Figures are not computed (FIGURES_BUILD=0).
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

from tests.conftest import BIN, REPO

_KEEP_CONFIG = {"site_name", "site_url", "theme", "plugins", "markdown_extensions", "extra_css",
                "extra_javascript"}


def mini_project(dest: pathlib.Path) -> pathlib.Path:
    (dest / "docs").mkdir(parents=True)
    (dest / "figures").mkdir()
    for name in (".authors.yml", "references.bib"):
        shutil.copy(REPO / "docs" / name, dest / "docs" / name)
    shutil.copytree(REPO / "docs" / "assets", dest / "docs" / "assets")
    shutil.copytree(REPO / "scripts", dest / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "overrides", dest / "overrides")  # theme.custom_dir
    (dest / "docs" / "index.md").write_text("# Notes\n")
    config = (REPO / "mkdocs.yml").read_text()
    sections = re.split(r"(?m)^(?=[A-Za-z_][\w-]*:)", config)
    kept = [s for s in sections if (m := re.match(r"([A-Za-z_][\w-]*):", s)) and m.group(1) in _KEEP_CONFIG]
    (dest / "mkdocs.yml").write_text("".join(kept) + "nav:\n  - Notes: index.md\n  - Open questions: open-questions.md\n")
    return dest


def build(project: pathlib.Path, site: pathlib.Path, *, strict: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "FIGURES_BUILD": "0"}
    return subprocess.run([str(BIN / "mkdocs"), "build", *(["--strict"] if strict else []), "-d", str(site)],
                          cwd=project, capture_output=True, text=True, env=env)
