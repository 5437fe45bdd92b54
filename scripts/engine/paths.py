"""Where everything lives: the project's folders and the names of every output the engine writes.

One module owns the layout so that the job runner, the manifest, the site hooks and the benchmarks cannot
disagree about it. A figure `ID` writes

    figures/out/ID.light.svg, figures/out/ID.dark.svg   the image, once per theme (published as figures/…)
    figures/out/ID.light.phone.svg, ….dark.phone.svg    its phone rendering (style.layout("phone"))
    figures/out/ID.json                                  the values and verdict records pages quote
    figures/out/ID.data.json                             an interactive figure's data (published)

and a notebook page `docs/a/b.py` (job id `notebook:a--b`) writes `figures/out/notebooks/a--b.ipynb`.
Scratch space lives under `.cache/` (ignored by git): staging folders of running jobs, verify's recomputed
outputs, the build lock and the per-job timings.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the repository: scripts/engine/paths.py -> ../..
THEMES = ("light", "dark")  # the site's two colour schemes; every figure is drawn once per theme
PUBLISHED_DIR = "figures"  # where figure files appear in the built site, relative to its root


@contextlib.contextmanager
def atomic_path(path: pathlib.Path) -> Iterator[pathlib.Path]:
    """A temporary file beside `path` to write, renamed onto `path` when the block ends without an error (and
    removed if it raises): a reader, or an interrupted run, sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield pathlib.Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are published
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: pathlib.Path, data: bytes | str) -> None:
    """Write `data` (str: as UTF-8) to `path` atomically (`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def image_name(figure_id: str, theme: str, phone: bool = False) -> str:
    return f"{figure_id}.{theme}.phone.svg" if phone else f"{figure_id}.{theme}.svg"


def values_name(figure_id: str) -> str:
    return f"{figure_id}.json"


def data_name(figure_id: str) -> str:
    return f"{figure_id}.data.json"


def shard_name(figure_id: str, i: int) -> str:
    return f"{figure_id}.shard-{i:03d}.data.json"  # widgets.js derives it from data_name: keep the two in step


def notebook_name(job_id: str) -> str:
    return f"{job_id.removeprefix('notebook:')}.ipynb"


def published(name: str) -> str:
    """The site path of a published output file, e.g. figures/near-orthogonal.light.svg."""
    return f"{PUBLISHED_DIR}/{name}"


@dataclass(frozen=True)
class Layout:
    """The folders of one project (the repository by default; tests use throwaway copies)."""

    root: pathlib.Path = ROOT

    @property
    def figures_dir(self) -> pathlib.Path:
        return self.root / "figures"  # declarations: figures/*.yml

    @property
    def out_dir(self) -> pathlib.Path:
        return self.figures_dir / "out"

    @property
    def manifest(self) -> pathlib.Path:
        return self.figures_dir / "manifest.json"

    @property
    def docs_dir(self) -> pathlib.Path:
        return self.root / "docs"

    @property
    def cache_dir(self) -> pathlib.Path:
        return self.root / ".cache"

    @property
    def staging_dir(self) -> pathlib.Path:
        return self.cache_dir / "staging"

    @property
    def verify_dir(self) -> pathlib.Path:
        return self.cache_dir / "verify"

    @property
    def lock(self) -> pathlib.Path:
        return self.cache_dir / "engine.lock"

    @property
    def fresh_snapshot(self) -> pathlib.Path:
        return self.cache_dir / "fresh.json"  # snapshot.py: the stats behind the last all-fresh check

    @property
    def timings(self) -> pathlib.Path:
        return self.cache_dir / "timings.json"

    # The site build's caches (the figures plugin, scripts/engine/site.py)
    @property
    def render_cache(self) -> pathlib.Path:
        return self.cache_dir / "render"  # rendercache.py: converted pages, excerpts, search entries, one JSON per key

    @property
    def templates_cache(self) -> pathlib.Path:
        return self.cache_dir / "templates"  # Jinja's compiled theme templates

    @property
    def source_pages(self) -> pathlib.Path:
        return self.cache_dir / "source-pages.json"  # sources.py: the source-view pages' import traces

    @property
    def ledger_cache(self) -> pathlib.Path:
        return self.cache_dir / "ledger.json"  # ledger.py: the verdicts' history up to HEAD, read from git

    @property
    def corrections_cache(self) -> pathlib.Path:
        return self.cache_dir / "corrections.json"  # corrections.py: when each figure's values changed, up to HEAD

    @property
    def bibliography_cache(self) -> pathlib.Path:
        return self.cache_dir / "bibliography.json"  # citations.py: docs/references.bib, parsed

    def figure_outputs(self, figure_id: str, *, widget: bool, shards: int = 0,
                       out_dir: pathlib.Path | None = None) -> list[pathlib.Path]:
        """A figure's output files: the images first (each theme, then each theme's phone rendering), then its
        values, then its widget data and shards if any."""
        out = self.out_dir if out_dir is None else out_dir
        files = [out / image_name(figure_id, t, phone) for phone in (False, True) for t in THEMES]
        files.append(out / values_name(figure_id))
        return files + ([out / data_name(figure_id)] if widget else []) + [out / shard_name(figure_id, i)
                                                                           for i in range(shards)]

    def notebook_output(self, job_id: str, out_dir: pathlib.Path | None = None) -> pathlib.Path:
        return (self.out_dir if out_dir is None else out_dir) / "notebooks" / notebook_name(job_id)
