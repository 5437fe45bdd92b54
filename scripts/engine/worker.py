"""The warm worker: heavy libraries imported once, a fresh child forked for every job.

Importing transformer_lens takes ~5 s and torch ~2 s; a figure's own compute is often less. So the engine
starts one long-lived worker process (`python scripts/engine/worker.py ROOT PRELOAD`) that imports the heavy
*third-party* libraries the jobs need (torch, transformer_lens, matplotlib, numpy) and nothing of the
project, then forks a child per job. Each child:
- imports the project's modules itself — the worker never has — so an edited module is always seen;
- gets the runner's thread count and seeds (`runtime.apply_in_job`), a stdin of /dev/null, and the
  worker's stderr as its stdout (the worker's stdout is the protocol);
- runs the job module's `run(spec, staging)` through `main` below and exits; a crash, a segfault or an
  `os._exit` in a script ends the child, never the worker or `mkdocs serve`;
- on success, lists the third-party modules it imported beyond the worker's, which the worker then imports
  itself (`_learn`): the preload grows to what the jobs actually use, so the next child starts warm.
The worker is single-threaded (a `select` loop, children reaped with `waitpid`) because forking a threaded
process can copy a held lock into the child. It runs as a file, not `-m`, so not even the `scripts` package
is imported before the fork. Where `os.fork` does not exist (Windows) it starts each job as a fresh
`python -m RUNNER` process instead: the same protocol, without the warm imports.

Protocol: one JSON line per request on stdin, `{"token", "runner", "spec", "staging", "threads", "timeout"}`,
or `{"cancel": token}`; one JSON line per finished job on stdout, `{"token", "returncode", "stopped"}`
(`stopped`: null, "timeout" or "cancelled"); first of all a line `{"ready": [preloaded]}`. Limits are the
worker's to enforce, not the engine's: the engine may be blocked, the worker's loop never is. A job that
outlives its `timeout` (seconds) or is cancelled is killed with everything it started (each child leads a
process group of its own). The worker runs in a process group of its own too, so a Ctrl-C at the terminal
reaches the engine only, which then ends the worker cleanly instead of every process printing a traceback.
End of stdin: the worker terminates its running children and exits.

The job side of the protocol, `main(run, argv)`: a job writes its outputs into STAGING; on any failure the
traceback goes to STAGING/error.txt and the exit code is 1. The engine installs outputs only from a job that
exited 0 without an error file.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pathlib
import select
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")  # set to a job's thread count
IMPORTS_FILE = "imports.json"  # in a job's staging folder: the third-party modules it imported (see _learn)


def main(run: Callable[[dict, pathlib.Path], None], argv: list[str]) -> int:
    """Run one job: `argv` is [SPEC_JSON, STAGING_DIR]."""
    spec, staging = json.loads(argv[0]), pathlib.Path(argv[1])
    try:
        run(spec, staging)
    except BaseException as e:
        # The engine's own errors say what to fix and where (file:line): a traceback into the engine would
        # only hide that. Anything else is the script's bug, and its traceback is the help.
        from scripts.engine.errors import EngineError

        (staging / "error.txt").write_text(f"{e}\n" if isinstance(e, EngineError) else traceback.format_exc())
        return 1
    return 0


# -- the worker process ------------------------------------------------------------------------------------

def _preload(names: list[str]) -> list[str]:
    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except Exception as e:  # a missing or broken library: the job that needs it will say so itself
            print(f"warm worker: not preloading {name}: {type(e).__name__}: {e}", file=sys.stderr)
        if name == "matplotlib" and name in done:
            sys.modules["matplotlib"].use("Agg")
    return done


def _third_party(name: str, module: object, root: str) -> bool:
    """A module the worker may import itself: a real module, not the project's, not an alias of another."""
    if name == "__main__" or name.split(".")[0] in ("scripts", "tests") or getattr(module, "__name__", None) != name:
        return False
    file = getattr(module, "__file__", None)
    return not (file and os.path.abspath(file).startswith(os.path.join(os.path.abspath(root), "")))


def _report_imports(root: str, at_fork: set[str], staging: str) -> None:
    """Tell the worker which third-party modules this job imported that it had not (see `_learn`)."""
    names = sorted(n for n, m in list(sys.modules.items()) if n not in at_fork and _third_party(n, m, root))
    pathlib.Path(staging, IMPORTS_FILE).write_text(json.dumps(names))


def _read_imports(staging: str) -> list[str]:
    try:
        return json.loads(pathlib.Path(staging, IMPORTS_FILE).read_text())
    except (OSError, ValueError):
        return []


def _learn(names: list[str]) -> None:
    """Import, in the worker itself, the third-party modules a finished job needed beyond the preload (a script's
    scipy, sympy through torch.fx, transformer_lens' bridge submodules...): the next child forked finds them
    loaded, so editing that script under serve costs its compute, not seconds of imports. Project modules are
    never learned (`_third_party`), so an edited module is still imported fresh by every child. A module that
    cannot be imported on its own is skipped; the job that needs it imports it as before."""
    with contextlib.redirect_stdout(sys.stderr):  # our stdout is the protocol
        for name in names:
            if name not in sys.modules:
                try:
                    importlib.import_module(name)
                except BaseException:  # noqa: BLE001 - any failure only means "not preloaded"
                    pass


def _child(root: str, req: dict) -> None:
    """In the forked child: become a fresh job process and run the job. Never returns."""
    code = 1
    at_fork = set(sys.modules)
    try:
        os.setpgid(0, 0)  # a group of its own: a timeout or a cancel kills whatever the job started, too
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the worker ignores it; a job need not
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(2, 1)  # the worker's stdout is the protocol: job output goes to stderr
        os.chdir(root)
        for name in [n for n in sys.modules if n == "scripts" or n.startswith("scripts.")]:
            del sys.modules[name]
        importlib.invalidate_caches()
        threads = str(req["threads"])
        for var in THREAD_VARIABLES:
            os.environ[var] = threads
        runner = importlib.import_module(req["runner"])
        job_main = importlib.import_module("scripts.engine.worker").main
        spec = {**req["spec"], "threads": req["threads"]}
        code = job_main(runner.run, [json.dumps(spec), req["staging"]])
        if code == 0:
            _report_imports(root, at_fork, req["staging"])
    except BaseException:
        try:
            pathlib.Path(req["staging"], "error.txt").write_text(traceback.format_exc())
        except OSError:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _start(root: str, req: dict) -> int | subprocess.Popen:
    if hasattr(os, "fork"):
        pid = os.fork()
        if pid == 0:
            _child(root, req)
        with contextlib.suppress(OSError):  # also here: the group must exist before we might kill it
            os.setpgid(pid, pid)
        return pid
    spec = json.dumps({**req["spec"], "threads": req["threads"]})
    env = {**os.environ, **{v: str(req["threads"]) for v in THREAD_VARIABLES}}
    return subprocess.Popen([sys.executable, "-m", req["runner"], spec, req["staging"]], cwd=root, env=env,
                            stdin=subprocess.DEVNULL, stdout=sys.stderr)


def _kill(proc: int | subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """End a job and every process it started (its process group)."""
    try:
        if isinstance(proc, subprocess.Popen):
            proc.send_signal(sig)
        else:
            os.killpg(proc, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _reap(running: dict) -> list[tuple[str, int]]:
    done = []
    for token, proc in list(running.items()):
        if isinstance(proc, subprocess.Popen):
            rc = proc.poll()
        else:
            pid, status = os.waitpid(proc, os.WNOHANG)
            rc = None if pid == 0 else os.waitstatus_to_exitcode(status)
        if rc is not None:
            done.append((token, rc))
            del running[token]
    return done


def serve(root: str, preload: list[str]) -> None:
    t0 = time.perf_counter()
    loaded = _preload(preload)
    out = sys.stdout
    out.write(json.dumps({"ready": loaded, "seconds": round(time.perf_counter() - t0, 3)}) + "\n")
    out.flush()
    running: dict[str, int | subprocess.Popen] = {}
    staging: dict[str, str] = {}
    deadline: dict[str, float] = {}  # token -> monotonic time after which the job is killed
    stopped: dict[str, str] = {}  # token -> "timeout" | "cancelled", for jobs we killed
    buf, stdin_fd, eof = b"", sys.stdin.fileno(), False
    while not eof or running:
        if not eof:
            ready, _, _ = select.select([stdin_fd], [], [], 0.02 if running else None)
            if ready:
                chunk = os.read(stdin_fd, 65536)
                eof = not chunk
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    req = json.loads(line)
                    if "cancel" in req:
                        if req["cancel"] in running and req["cancel"] not in stopped:
                            stopped[req["cancel"]] = "cancelled"
                            _kill(running[req["cancel"]])
                        continue
                    running[req["token"]] = _start(root, req)
                    staging[req["token"]] = req["staging"]
                    if req.get("timeout"):
                        deadline[req["token"]] = time.monotonic() + float(req["timeout"])
        else:  # the engine is gone: stop the children, their outputs would never be installed
            for proc in running.values():
                _kill(proc, signal.SIGTERM)
            time.sleep(0.02)
        now = time.monotonic()
        for token in [t for t, d in deadline.items() if now > d and t in running and t not in stopped]:
            stopped[token] = "timeout"
            _kill(running[token])
        finished = _reap(running)
        learned = [n for token, rc in finished for n in _read_imports(staging.pop(token)) if rc == 0]
        for token, rc in finished:  # the engine removes the staging folder once it has this answer
            deadline.pop(token, None)
            out.write(json.dumps({"token": token, "returncode": rc, "stopped": stopped.pop(token, None)}) + "\n")
            out.flush()
        if learned and not eof and hasattr(os, "fork"):  # after answering: the engine installs meanwhile
            _learn(sorted(set(learned)))


if __name__ == "__main__":
    _root = sys.argv[1]
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = _root  # run as a file: the project root, not scripts/engine/, is on the path
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the engine's to handle (it closes our stdin)
    try:
        serve(_root, [n for n in sys.argv[2].split(",") if n])
    except BrokenPipeError:  # the engine is gone (its process ended): nobody to answer, nothing to say
        os._exit(0)
