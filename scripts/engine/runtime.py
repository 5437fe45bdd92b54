"""The runner's numerical settings: every job runs with the same kernels, thread policy and seeds.

A figure must publish the same values on any machine of the same kind (x86-64 with AVX2, the pinned
libraries). Three things decide which floating-point operations run, and so the last bits of a result:

- **Which vector kernels.** PyTorch picks its own CPU kernels (`ATEN_CPU_CAPABILITY`: default, avx2,
  avx512) from the CPU it finds, and MKL, which does torch's matrix products in the CPU wheel, picks its
  code path the same way. We pin both for every job: `ATEN_CPU_CAPABILITY=avx2` and `MKL_CBWR=AVX2` (MKL's
  conditional numerical reproducibility: the AVX2 path on any CPU that has it, including AVX-512 ones).
  A user's own setting of either variable wins (and shows in the fingerprint, so figures go stale).
- **How many threads.** A reduction split over threads adds in another order. The runner, not the
  scripts, sets the count (`threads_per_job`): the machine's cores divided among the jobs running at once.
  Values must not depend on it (tests/test_determinism.py recomputes figures with 1 and 2 threads); pinning
  the kernels makes the remaining differences rare, and publishing at the precision a value supports
  (scripts/engine/verdicts.py) plus comparing images under a tolerance (normalise.py) absorbs them.
- **Seeds.** `random`, numpy's global generator and torch's are seeded with 0 before `compute` runs, and
  PYTHONHASHSEED is 0, so set and dict orders of strings are the same in every run.

The settings are part of every figure's fingerprint (`fingerprint_settings`): changing the policy here
marks every figure stale, as it should.
"""

from __future__ import annotations

import os
import platform

SEED = 0
PINNED = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}  # x86-64 only; see the module docstring


def _x86() -> bool:
    return platform.machine().lower() in {"x86_64", "amd64"}


def kernel_settings() -> dict[str, str]:
    """The environment that pins the kernels (the user's own values win)."""
    if not _x86():  # no MKL and no AVX on ARM: nothing to pin; such machines are "another kind"
        return {}
    return {k: os.environ.get(k, v) for k, v in PINNED.items()}


def fingerprint_settings() -> dict[str, str]:
    return {**kernel_settings(), "seed": str(SEED)}


def job_environment(root: str) -> dict[str, str]:
    """The environment of every job process (the warm worker and the children it forks inherit it)."""
    return {
        **os.environ,
        **kernel_settings(),
        "PYTHONHASHSEED": "0",  # fixed at interpreter start: the forked children inherit it
        "MPLBACKEND": "Agg",
        "HF_HUB_OFFLINE": "1",  # a build never touches the network
        "TOKENIZERS_PARALLELISM": "false",  # tokenizers' thread pool does not survive fork()
        "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_job(running: int, cores_: int | None = None) -> int:
    """Threads for each of `running` concurrent jobs: the cores divided among them, at least one."""
    return max(1, (cores_ or cores()) // max(1, running))


def apply_in_job(threads: int) -> None:
    """Inside a job process, before the script's compute(): thread count and seeds.

    torch may already be imported (preloaded by the warm worker) or not yet (imported by the script): the
    environment variables cover the second case, `torch.set_num_threads` the first."""
    import random
    import sys

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)  # BLAS pools numpy already started (OpenBLAS reads its variable at load)
    except ImportError:
        pass
    random.seed(SEED)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(SEED)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_num_threads(threads)
        torch.manual_seed(SEED)
