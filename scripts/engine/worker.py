"""The process protocol shared by figure and notebook jobs: `python -m MODULE SPEC_JSON STAGING_DIR`.

The job writes its outputs into STAGING_DIR; on any failure the traceback goes to STAGING_DIR/error.txt and
the exit code is 1. The engine installs outputs only from a job that exited 0 without an error file.
"""

from __future__ import annotations

import json
import pathlib
import traceback
from collections.abc import Callable


def main(run: Callable[[dict, pathlib.Path], None], argv: list[str]) -> int:
    spec, staging = json.loads(argv[0]), pathlib.Path(argv[1])
    try:
        run(spec, staging)
    except BaseException:
        (staging / "error.txt").write_text(traceback.format_exc())
        return 1
    return 0
