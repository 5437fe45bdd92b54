"""Command line of the figure engine.

    python -m scripts.engine status            # every job: fresh, or why it is stale
    python -m scripts.engine check             # exit 1 if any committed output is stale or missing, or a
                                               # declared claim has no test naming it (CI; claim_tests.py)
    python -m scripts.engine build [ID ...]    # rebuild what is stale (or the given ids); --force: all
    python -m scripts.engine verify [ID ...]   # recompute into a scratch folder, compare with what is committed
    python -m scripts.engine list              # declared figures with their scripts and inputs
    python -m scripts.engine train [ID ...]    # train stale artifacts (models; never done by build/serve)
    python -m scripts.engine adopt ID ...      # record an artifact's committed files as fresh for its code

`-j N` runs N jobs at once (default: one per core). Exit codes: 0 fine, 1 a job failed, a figure is stale or
does not reproduce, a claim has no test, 2 the project itself is broken (a declaration, an unknown id).
"""

from __future__ import annotations

import argparse
import sys
import time

from scripts.engine import claim_tests
from scripts.engine.build import Engine
from scripts.engine.errors import EngineError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.engine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status")
    sub.add_parser("check")
    sub.add_parser("list")
    for name in ("build", "verify"):
        p = sub.add_parser(name)
        p.add_argument("ids", nargs="*")
        p.add_argument("-j", "--jobs", type=int, default=None, help="jobs at once (default: one per core)")
        if name == "build":
            p.add_argument("--force", action="store_true")
        else:
            p.add_argument("--train-under", type=float, default=0.0, metavar="MINUTES",
                           help="also retrain artifacts expected to take at most this long, and compare them")
    p = sub.add_parser("train")
    p.add_argument("ids", nargs="*")
    p.add_argument("--force", action="store_true")
    p = sub.add_parser("adopt")
    p.add_argument("ids", nargs="+")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    engine = Engine(parallel=getattr(args, "jobs", None))
    try:
        decl = engine.declarations()
        for e in decl.errors:
            print(f"error: {e}", file=sys.stderr)
        return COMMANDS[args.cmd](engine, decl, args)
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: jobs already finished are installed; the others keep their last good output "
              "(training resumes from its last saved state, at most ~10 s back).", file=sys.stderr)
        return 130
    finally:
        engine.close()


def cmd_list(engine: Engine, decl, args) -> int:
    for jid, job in decl.jobs.items():
        extra = f"  inputs: {', '.join(map(str, job.inputs))}" if job.inputs else ""
        print(f"{jid:40} {job.script}{extra}")
    return 2 if decl.errors else 0


def cmd_status(engine: Engine, decl, args) -> int:
    """`status` and `check` (which also fails on stale jobs and on claims without a test)."""
    check = args.cmd == "check"
    status = engine.status(decl.jobs)
    stale = {k: v for k, v in status.items() if v}
    for jid, reasons in status.items():
        if reasons or not check:
            print(f"{'STALE' if reasons else 'fresh'}  {jid}")
            for r in reasons:
                print(f"         - {r}")
    print(f"{len(status) - len(stale)} fresh, {len(stale)} stale"
          + (f", {len(decl.unavailable)} unavailable (broken declarations)" if decl.errors else ""))
    if stale and check:
        print(_how_to_fix(stale, decl.jobs), file=sys.stderr)
    untested = claim_tests.project_uncovered(engine.root, decl.jobs) if check else []
    for gap in untested:
        print(f"error: {gap}", file=sys.stderr)
    if decl.errors:
        return 2
    return 1 if (stale or untested) and check else 0


def cmd_train(engine: Engine, decl, args) -> int:
    rep = engine.train(args.ids or None, force=args.force)
    for jid, msg in rep.failed.items():
        print(f"\nFAILED {jid}:\n{msg}", file=sys.stderr)
    for jid in rep.built:
        print(f"trained {jid} in {rep.seconds[jid] / 60:.1f} min")
    print(f"trained {len(rep.built)}, fresh {len(rep.fresh)}, failed {len(rep.failed)}"
          + ("; now rebuild the figures that read them: python -m scripts.engine build" if rep.built else ""))
    return 2 if rep.errors else 0 if rep.ok else 1


def cmd_adopt(engine: Engine, decl, args) -> int:
    for jid in engine.adopt(args.ids):
        print(f"adopted {jid}: its committed files are recorded as fresh for the current code")
    return 0


def cmd_verify(engine: Engine, decl, args) -> int:
    t0 = time.perf_counter()
    rep = engine.verify(args.ids or None, train_under=args.train_under)
    for jid, diffs in sorted(rep.differ.items()):
        print(f"DIFFERS {jid}:", *(f"  - {d}" for d in diffs), sep="\n")
    _print_failures(rep.failed)
    if rep.skipped:
        print(f"not retrained (longer than --train-under): {', '.join(rep.skipped)}")
    print(f"verify: {len(rep.reproduced)} reproduce, {len(rep.differ)} differ, {len(rep.failed)} failed "
          f"({time.perf_counter() - t0:.0f} s, {engine.parallel} at once)")
    if rep.differ:
        print("A committed figure does not reproduce: rebuild it here (`python -m scripts.engine build "
              "--force ID`) and look at what changed, or make its values robust (README, The figure engine).",
              file=sys.stderr)
    return 2 if rep.errors else 0 if rep.ok else 1


def cmd_build(engine: Engine, decl, args) -> int:
    report = engine.build(args.ids or None, force=args.force)
    _print_failures(report.failed)
    for jid, msg in report.cancelled.items():
        print(f"STOPPED {jid}: {msg}", file=sys.stderr)
    for jid, msg in report.waiting.items():
        print(f"WAITING {jid}: {msg}", file=sys.stderr)
    print(f"built {len(report.built)}, fresh {len(report.fresh)}, failed {len(report.failed)}"
          + (f", waiting for training {len(report.waiting)}" if report.waiting else ""))
    return 2 if report.errors else 0 if report.ok else 1


COMMANDS = {"list": cmd_list, "status": cmd_status, "check": cmd_status, "train": cmd_train, "adopt": cmd_adopt,
            "verify": cmd_verify, "build": cmd_build}


def _print_failures(failed: dict[str, str]) -> None:
    """Each distinct error once, with every job it failed: a syntax error in a module that 29 figures import
    is one message, not 29."""
    by_message: dict[str, list[str]] = {}
    for jid, msg in failed.items():
        by_message.setdefault(msg, []).append(jid)
    for msg, ids in by_message.items():
        print(f"\nFAILED {', '.join(sorted(ids))}:\n{msg}", file=sys.stderr)


def _how_to_fix(stale: dict[str, list[str]], jobs: dict) -> str:
    """`check`'s last line, cheapest fix first: a committed file that only needs restoring names its
    `git checkout` in its reason (manifest.how_to_restore), and a build never trains."""
    if any("`git checkout " in r for reasons in stale.values() for r in reasons):
        return ("Restore from git first what the reasons above say (`git checkout …`), then run "
                "`python -m scripts.engine check` again.")
    if any(getattr(jobs.get(jid), "kind", "") == "artifact" for jid in stale):
        return ("Train the stale artifacts first (`python -m scripts.engine train`; a build never trains), then run "
                "`python -m scripts.engine build` (or `make serve`) and commit models/ and figures/.")
    return "Run `python -m scripts.engine build` (or `make serve`) and commit figures/."


if __name__ == "__main__":
    sys.exit(main())
