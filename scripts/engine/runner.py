"""The engine's handle on the warm worker (`worker.py`): start it, send it jobs, read their exit codes.

The worker is restarted when it could serve a job wrongly: when worker.py itself changed, when a job needs
a heavy library it did not preload, or when it died. Which libraries to preload is read from the jobs' own
imports (traced statically, `tracing.py`), so a build of numpy-only figures never imports torch.
"""

from __future__ import annotations

import json
import pathlib
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from scripts.engine import runtime
from scripts.engine.declarations import Job
from scripts.engine.errors import EngineError
from scripts.engine.tracing import trace

WORKER = pathlib.Path(__file__).with_name("worker.py")
# Third-party modules worth importing once (seconds each); imported in this order when a job needs them.
HEAVY = ("numpy", "matplotlib", "matplotlib.pyplot", "torch", "transformers", "transformer_lens")
_ALWAYS = {"figure": {"numpy", "matplotlib"}, "notebook": set()}  # what the job runner itself imports


class WorkerError(EngineError):
    """The warm worker died or stopped answering."""


@dataclass(frozen=True)
class Finished:
    token: str
    returncode: int
    stopped: str | None  # None, "timeout" (the worker killed it at its time limit) or "cancelled"


def preload_for(jobs: Iterable[Job], root: pathlib.Path) -> tuple[str, ...]:
    """The heavy modules these jobs import (directly or through project modules)."""
    tops: set[str] = set()
    for job in jobs:
        if job.kind not in _ALWAYS:  # artifacts train in a process of their own (artifacts.py), not here
            continue
        tops |= _ALWAYS[job.kind]
        try:
            tops |= trace(root / job.script, root).libraries
        except EngineError:
            pass  # the job will fail on its own, with the error
    return tuple(m for m in HEAVY if m.split(".")[0] in tops)


def _stamp() -> tuple[int, int]:
    st = WORKER.stat()
    return st.st_mtime_ns, st.st_size


class WarmWorker:
    def __init__(self, root: pathlib.Path, preload: tuple[str, ...]):
        self.preload = preload
        self.stamp = _stamp()
        self.kernels = runtime.kernel_settings()
        # process_group=0: a Ctrl-C at the terminal reaches the engine, which then closes the worker itself
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(root), ",".join(preload)], cwd=root,
            env=runtime.job_environment(str(root)), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
            text=True, bufsize=1, process_group=0,
        )
        self._lines: queue.Queue[str] = queue.Queue()  # the worker's answers, read by a thread: waits can time out
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self._lines.put(line)
        self._lines.put("")  # end of output: the worker is gone

    def serves(self, preload: tuple[str, ...]) -> bool:
        return (self.proc.poll() is None and set(preload) <= set(self.preload) and self.stamp == _stamp()
                and self.kernels == runtime.kernel_settings())

    def submit(self, token: str, runner: str, spec: dict, staging: pathlib.Path, threads: int,
               timeout: float | None = None) -> None:
        """Start a job; the worker kills it after `timeout` seconds."""
        self._send({"token": token, "runner": runner, "spec": spec, "staging": str(staging), "threads": threads,
                    "timeout": timeout})

    def cancel(self, token: str) -> None:
        """Kill a running job (its answer still comes, with stopped="cancelled")."""
        self._send({"cancel": token})

    def _send(self, req: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError, ValueError) as e:
            raise WorkerError(f"the warm worker is gone ({e}); it is restarted on the next build") from e

    def result(self, timeout: float | None = None) -> Finished | None:
        """The next finished job, waiting at most `timeout` seconds (None: until one finishes)."""
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                return None
            if not line:
                self._lines.put("")  # every later call sees the end too
                code = self.proc.wait()
                raise WorkerError(f"the warm worker exited with {code} while jobs were running "
                                  "(see the terminal above for why); it is restarted on the next build")
            msg = json.loads(line)
            if "ready" in msg:
                continue
            return Finished(msg["token"], int(msg["returncode"]), msg.get("stopped"))

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # type: ignore[union-attr]  (end of input: the worker stops its children)
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stdin):
            try:
                f.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def __del__(self):  # a forgotten worker must not outlive its engine
        try:
            if self.proc.poll() is None:
                self.proc.kill()
        except Exception:
            pass

