"""Command line of the figure engine.

    python -m scripts.engine status          # every job: fresh, or why it is stale
    python -m scripts.engine check           # exit 1 if any committed output is stale or missing (CI)
    python -m scripts.engine build [ID ...]  # rebuild what is stale (or the given ids); --force: all
    python -m scripts.engine list            # declared figures with their scripts and inputs
"""

from __future__ import annotations

import argparse
import sys

from scripts.engine.build import Engine
from scripts.engine.declarations import DeclarationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.engine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status")
    sub.add_parser("check")
    sub.add_parser("list")
    b = sub.add_parser("build")
    b.add_argument("ids", nargs="*")
    b.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    engine = Engine()
    try:
        if args.cmd == "list":
            for jid, job in engine.jobs().items():
                extra = f"  inputs: {', '.join(map(str, job.inputs))}" if job.inputs else ""
                print(f"{jid:40} {job.script}{extra}")
            return 0
        if args.cmd in ("status", "check"):
            status = engine.status()
            stale = {k: v for k, v in status.items() if v}
            for jid, reasons in status.items():
                if reasons or args.cmd == "status":
                    print(f"{'STALE' if reasons else 'fresh'}  {jid}")
                    for r in reasons:
                        print(f"         - {r}")
            print(f"{len(status) - len(stale)} fresh, {len(stale)} stale")
            if stale and args.cmd == "check":
                print("Run `python -m scripts.engine build` (or `make serve`) and commit figures/.", file=sys.stderr)
            return 1 if stale and args.cmd == "check" else 0
        report = engine.build(args.ids or None, force=args.force)
        for jid, msg in report.failed.items():
            print(f"\nFAILED {jid}:\n{msg}", file=sys.stderr)
        print(f"built {len(report.built)}, fresh {len(report.fresh)}, failed {len(report.failed)}")
        return 0 if report.ok else 1
    except (DeclarationError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
