"""Shared fixtures: a disposable copy of the project, a static server, a headless Chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading

import jaxtyping
import pytest

# Every shape and type annotation of the analysis functions is checked while the tests run (jaxtyping's
# `Float[Tensor, "batch pos"]` says nothing at run time otherwise). Installed before any test module imports
# scripts.analysis; figures built by the engine run unchecked.
jaxtyping.install_import_hook(["scripts.analysis"], "beartype.beartype")

REPO = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# The skip reason of tests/test_import_jekyll.py, and what the end-of-session line below looks for.
JEKYLL_MISSING = ("Jekyll differential tests skipped: Debian's `jekyll` is not installed — run them with "
                  "`apt-get install jekyll` (CI installs it: .ci/run)")


def pytest_terminal_summary(terminalreporter):
    """A skipped group is one more count among hundreds of passes: name it, with how to run it."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if JEKYLL_MISSING in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"{JEKYLL_MISSING} ({len(skipped)} tests)", yellow=True)


def copy_project(dest: pathlib.Path, *, with_figures: bool = True) -> pathlib.Path:
    """Copy what a site build needs; models are linked (read-only use), caches are not copied."""
    ignore = shutil.ignore_patterns("__pycache__", ".cache")
    for name in ("docs", "scripts", "figures", "overrides"):
        if name == "figures" and not with_figures:
            continue
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    shutil.copy(REPO / "mkdocs.yml", dest / "mkdocs.yml")
    if (REPO / "models").exists():
        (dest / "models").symlink_to(REPO / "models", target_is_directory=True)
    return dest


def mkdocs_build(project: pathlib.Path, site_dir: pathlib.Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-d", str(site_dir)], cwd=project,
                          capture_output=True, text=True, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def static_server(directory: pathlib.Path):
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> pathlib.Path:
    """The repository's site, built once in strict mode into a temporary folder."""
    site = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(REPO, site)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return site


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
