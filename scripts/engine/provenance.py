"""Where a page's figures come from: the repository and the commit at which they were computed.

Each post ends with one line naming the commit that last changed its figures' published outputs (images,
values and verdicts in `figures/out/`), linked into the repository when `repo_url` is set (`REPO_URL`, read by
mkdocs.yml; the publishing workflow sets it), and the about page names the commit the site was built from.
Outputs changed since that commit say so: they were computed in the working copy and are not committed yet.

Git is read with two short commands per page; without git (a tarball) the line is left out, since a commit
that cannot be named must not be guessed. Errors: none of its own (git failing means no line).
"""

from __future__ import annotations

import html
import pathlib
import subprocess

from scripts.engine import paths


def _git(root: pathlib.Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def last_commit(root: pathlib.Path, files: list[pathlib.Path]) -> tuple[str | None, bool]:
    """(the last commit that changed any of `files`, whether any of them differs from it or is untracked)."""
    rel = [f.relative_to(root).as_posix() for f in files]
    sha = _git(root, "log", "-1", "--format=%H", "--", *rel) if rel else _git(root, "rev-parse", "HEAD")
    dirty = _git(root, "status", "--porcelain", "--", *rel) if rel else _git(root, "status", "--porcelain")
    return (sha or None), bool(dirty)


def _commit_link(sha: str, repo_url: str | None) -> str:
    short = f"<code>{sha[:10]}</code>"
    return f'<a href="{html.escape(repo_url.rstrip("/"))}/tree/{sha}">{short}</a>' if repo_url else short


def _repo(repo_url: str | None) -> str:
    return f' of <a href="{html.escape(repo_url)}">the repository</a>' if repo_url else ""


def figures_line(root: pathlib.Path, out_dir: pathlib.Path, figure_ids: list[str], repo_url: str | None) -> str:
    """HTML of a post's last line: the commit its figures were computed at ("" with no figures or no git)."""
    files = [f for fid in figure_ids for f in (out_dir / paths.values_name(fid),
                                               out_dir / paths.image_name(fid, "light")) if f.exists()]
    if not files:
        return ""
    sha, dirty = last_commit(root, files)
    if sha is None:
        return ""
    where = f"at commit {_commit_link(sha, repo_url)}{_repo(repo_url)}"
    if dirty:
        return (f'<p class="provenance">The figures on this page were last committed {where}; some were '
                "recomputed since, in this working copy, and are not committed yet.</p>")
    return f'<p class="provenance">The figures on this page were computed {where}.</p>'


def site_line(root: pathlib.Path, repo_url: str | None) -> str:
    """HTML naming the commit the site was built from (the about page)."""
    sha, dirty = last_commit(root, [])
    if sha is None:
        return ""
    repo = _repo(repo_url) or " (no repository address is set: REPO_URL)"
    return (f'<p class="provenance">This copy of the site was built from commit {_commit_link(sha, repo_url)}'
            f'{repo}{", with uncommitted changes" if dirty else ""}.</p>')
