"""The verdict ledger: every verdict's history — its rule, its estimate and its outcome — read from git.

A verdict is published as a record in its figure's `figures/out/<id>.json` (claim, statistic, rule, estimate,
interval, outcome, seeds), decided by parameters in `figures/<note>.yml`. Both are committed, so the
repository's own history *is* the ledger: this module walks it, commit by commit, and lists for each verdict
the first commit that published a result, and every later change of

- its **rule** (claim, statistic, rule, or the figure's params that decide it) — a change after the first
  result is what a reader must see ("rule changed after its first result: 25,000 → 40,000 epochs");
- its **outcome** (supported / contradicted / inconclusive, and in how many seeds it holds);
- its **estimate** or interval.

Some rules live where no record shows them (the stopping rule of a training run is code). Those changes
are written by hand in `figures/ledger/backfill.yml`, with the commit that made them, and merged in (`Backfill`).
Uncommitted changes in the working tree show as the last entry, dated "uncommitted". A fresh clone and the
publishing build see the same history (the publishing workflow checks out the full history); a shallow
clone or a folder outside git says so instead of inventing one.

Why git and not a file the engine appends to: an append-only file can be edited like any other, while the
history of the records is exactly what was published, with its date; and it needs no new state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import pathlib
import subprocess
from collections.abc import Iterable, Mapping

import yaml

from scripts.engine import paths
from scripts.engine.errors import EngineError
from scripts.engine.paths import atomic_write

RULE_FIELDS = ("claim", "statistic", "rule")
RESULT_FIELDS = ("estimate", "low", "high", "n", "outcome", "holds")
BACKFILL = "figures/ledger/backfill.yml"  # a folder of its own: figures/*.yml are declarations
UNCOMMITTED = "uncommitted"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LedgerError(EngineError):
    """The ledger's backfill file is malformed; the message names file:line and the fix."""


@dataclasses.dataclass(frozen=True)
class Event:
    """One change of one verdict: `kind` is "first", "rule", "outcome" or "estimate"."""

    date: str  # YYYY-MM-DD, or "uncommitted"
    commit: str  # short hash, or "" for the working tree
    kind: str
    field: str = ""
    old: str = ""
    new: str = ""
    why: str = ""  # a backfilled entry's reason


@dataclasses.dataclass
class History:
    verdict: str  # "figure-id.key"
    events: list[Event] = dataclasses.field(default_factory=list)

    @property
    def first(self) -> Event | None:
        return next((e for e in self.events if e.kind == "first"), None)

    @property
    def rule_changes(self) -> list[Event]:
        """Changes of the rule after its first result (the ones a reader must be told about)."""
        first = self.first
        return [e for e in self.events if e.kind == "rule" and first is not None
                and (e.why or self.events.index(e) > self.events.index(first))]

    def provenance(self) -> str:
        """One line for the page: whether the rule moved after its first result."""
        if self.first is None:
            return "no published result yet"
        changes = self.rule_changes
        if not changes:
            return f"rule unchanged since its first result ({self.first.date})"
        shown = "; ".join(f"{e.field} {e.old} → {e.new} ({e.date})" for e in changes[:2])
        more = f"; {len(changes) - 2} more" if len(changes) > 2 else ""
        return f"rule changed after its first result: {shown}{more}"


@dataclasses.dataclass(frozen=True)
class Ledger:
    histories: dict[str, History]
    note: str = ""  # why history is missing or partial ("not a git repository", "shallow clone")

    def get(self, verdict: str) -> History:
        return self.histories.get(verdict, History(verdict))


# -- reading git -----------------------------------------------------------------------------------------

def git(root: pathlib.Path, *args: str, stdin: str | None = None) -> str:
    """A git command's output in `root` (OSError if it fails). Shared with corrections.py, which reads the
    same history for a post's updates."""
    proc = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise OSError(proc.stderr.strip())
    return proc.stdout


def _commits(root: pathlib.Path) -> list[tuple[str, str, list[str]]]:
    """(hash, date, files changed) for every commit touching figures/, oldest first."""
    out = git(root, "log", "--reverse", "--format=@@%h %cs", "--name-only", "--", "figures/")
    commits: list[tuple[str, str, list[str]]] = []
    for line in out.splitlines():
        if line.startswith("@@"):
            sha, date = line[2:].split()
            commits.append((sha, date, []))
        elif line.strip() and commits:
            commits[-1][2].append(line.strip())
    return commits


def shallow(root: pathlib.Path) -> bool:
    """Whether `root` is a shallow clone, whose history is incomplete (OSError outside git)."""
    return git(root, "rev-parse", "--is-shallow-repository").strip() == "true"


def blobs(root: pathlib.Path, refs: list[str]) -> list[str | None]:
    """The contents of `commit:path` refs, in one `git cat-file --batch` (None: absent at that commit)."""
    if not refs:
        return []
    proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"], input=("\n".join(refs) + "\n").encode(),
                          capture_output=True)
    data, out, i = proc.stdout, [], 0
    for _ in refs:
        end = data.index(b"\n", i)
        header = data[i:end].decode()
        i = end + 1
        if header.endswith(" missing") or header.endswith(" ambiguous"):
            out.append(None)
            continue
        size = int(header.split()[-1])
        out.append(data[i:i + size].decode("utf-8", "replace"))
        i += size + 1
    return out


def _relevant(path: str) -> bool:
    p = pathlib.PurePosixPath(path)
    return (p.parent.as_posix() == "figures/out" and p.suffix == ".json"  # a figure's record, not a widget's data
            and not p.name.endswith(paths.data_name(""))) or (
        p.parent.as_posix() == "figures" and p.suffix == ".yml")


# -- what a snapshot of the files says -------------------------------------------------------------------

def _records(text: str | None) -> dict[str, dict]:
    try:
        return (json.loads(text) or {}).get("verdicts", {}) if text else {}
    except (ValueError, AttributeError):
        return {}


def _params(text: str | None) -> dict[str, dict]:
    """figure id -> its params, from a declarations file (what could be parsed of it)."""
    try:
        data = yaml.load(text, Loader=_LOADER) if text else {}
    except yaml.YAMLError:
        return {}
    return {k: (v.get("params") or {}) for k, v in (data or {}).items() if isinstance(v, dict) and "script" in v}


def _state(files: Mapping[str, str | None]) -> dict[str, dict[str, str]]:
    """verdict id -> the fields the ledger follows, as strings, for one snapshot of figures/."""
    params = {k: v for path, text in files.items() if path.endswith(".yml") for k, v in _params(text).items()}
    out: dict[str, dict[str, str]] = {}
    for path, text in files.items():
        if not path.endswith(".json"):
            continue
        fid = pathlib.PurePosixPath(path).stem
        for key, rec in _records(text).items():
            fields = {f: str(rec.get(f, "")) for f in RULE_FIELDS + RESULT_FIELDS}
            fields["params"] = json.dumps(params.get(fid, {}), sort_keys=True)
            out[f"{fid}.{key}"] = fields
    return out


def _diff(verdict: str, old: dict[str, str] | None, new: dict[str, str], date: str, sha: str) -> list[Event]:
    if old is None:
        return [Event(date, sha, "first", "estimate", "", f"{new['estimate']} [{new['low']}, {new['high']}] "
                                                          f"{new['outcome']}")]
    events = [Event(date, sha, "rule", f, old[f], new[f]) for f in RULE_FIELDS if old[f] != new[f]]
    before, after = json.loads(old["params"]), json.loads(new["params"])
    events += [Event(date, sha, "rule", f"param {k}", _show(before.get(k)), _show(after.get(k)))
               for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    if (old["outcome"], old["holds"]) != (new["outcome"], new["holds"]):
        events.append(Event(date, sha, "outcome", "outcome", _outcome(old), _outcome(new)))
    interval = lambda r: f"{r['estimate']} [{r['low']}, {r['high']}], n = {r['n']}"  # one use, reads as a table
    if interval(old) != interval(new):
        events.append(Event(date, sha, "estimate", "estimate", interval(old), interval(new)))
    return events


def _show(v) -> str:
    return "unset" if v is None else json.dumps(v) if not isinstance(v, str) else v


def _outcome(r: dict[str, str]) -> str:
    return f"{r['outcome']} ({r['holds']} seeds)" if r["holds"] and r["holds"] != "1 of 1" else r["outcome"]


# -- the ledger ------------------------------------------------------------------------------------------

def build(root: pathlib.Path, working: Mapping[str, str | None] | None = None,
          cache: pathlib.Path | None = None) -> Ledger:
    """The history of every verdict in the git history of `root`'s figures/, then the working tree's
    uncommitted state (`working`: path -> text of figures/*.yml and figures/out/*.json as they are now;
    None reads them from disk), then the backfilled entries of figures/ledger/backfill.yml.
    `cache`: a file for the history up to HEAD (walking git takes about a second; a build needs it once)."""
    root = pathlib.Path(root)
    working = dict(working) if working is not None else _working(root)
    histories, state, current, note = _from_git(root, cache)
    now = _state(working)
    if working != {p: t for p, t in current.items() if t is not None}:
        _advance(histories, state, now, UNCOMMITTED, "")
    for verdict, event in _backfill(root, now):
        histories.setdefault(verdict, History(verdict)).events.append(event)
    order = _order(root)  # backfilled entries take their place in the commits' order
    for h in histories.values():
        h.events.sort(key=lambda e: (e.date == UNCOMMITTED, e.date, order.get(e.commit, len(order)), e.kind != "first"))
    return Ledger(histories, note)


def _from_git(root: pathlib.Path, cache: pathlib.Path | None):
    """(histories, state at HEAD, files at HEAD, note), from `cache` when it was made at the same HEAD."""
    try:
        head = git(root, "rev-parse", "HEAD").strip()
    except (OSError, FileNotFoundError):
        head = ""
    if cache is not None and head:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data["head"] == head:
                histories = {v: History(v, [Event(**e) for e in events]) for v, events in data["events"].items()}
                return histories, data["state"], data["files"], data["note"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    histories: dict[str, History] = {}
    current: dict[str, str | None] = {}
    state: dict[str, dict[str, str]] = {}
    note = ""
    try:
        if shallow(root):
            note = "history incomplete: this is a shallow clone (fetch the full history to see it)"
        commits = _commits(root)
    except (OSError, FileNotFoundError):
        commits, note = [], "no history: not a git repository"
    for sha, date, changed in commits:
        changed = [p for p in changed if _relevant(p)]
        for path, text in zip(changed, blobs(root, [f"{sha}:{p}" for p in changed])):
            current[path] = text
        state = _advance(histories, state, _state(current), date, sha)
    if cache is not None and head:
        with contextlib.suppress(OSError):
            atomic_write(cache, json.dumps({"head": head, "note": note, "state": state, "files": current,
                                            "events": {v: [dataclasses.asdict(e) for e in h.events]
                                                       for v, h in histories.items()}}))
    return histories, state, current, note


def _order(root: pathlib.Path) -> dict[str, int]:
    """Short hash (as git abbreviates it, and its 7-character prefix) -> position in history, oldest first."""
    try:
        shas = git(root, "log", "--reverse", "--format=%h").split()
    except (OSError, FileNotFoundError):
        return {}
    return {**{s[:7]: i for i, s in enumerate(shas)}, **{s: i for i, s in enumerate(shas)}}


def _advance(histories: dict[str, History], before: dict, after: dict, date: str, sha: str) -> dict:
    for verdict, fields in after.items():
        events = _diff(verdict, before.get(verdict), fields, date, sha)
        if events:
            histories.setdefault(verdict, History(verdict)).events.extend(events)
    for verdict in set(before) - set(after):
        histories.setdefault(verdict, History(verdict)).events.append(Event(date, sha, "outcome", "record",
                                                                            "published", "withdrawn"))
    return after


def _working(root: pathlib.Path) -> dict[str, str | None]:
    figures = root / "figures"
    paths: Iterable[pathlib.Path] = list(figures.glob("*.yml")) + list((figures / "out").glob("*.json"))
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in paths
            if _relevant(p.relative_to(root).as_posix())}


def _backfill(root: pathlib.Path, records: Mapping[str, dict]) -> list[tuple[str, Event]]:
    """figures/ledger/backfill.yml: rule changes no record shows, each with its commit.

        - date: 2026-11-22
          commit: 112c20c
          verdicts: [grokking-curves.groks, ...]   # or figures: [grokking-curves, ...] for all of theirs
          field: epoch cap of the grokking runs
          old: "25,000"
          new: "40,000"
          why: what had been computed under the old rule when it changed
    """
    path = root / BACKFILL
    if not path.exists():
        return []
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise LedgerError(f"not valid YAML ({getattr(e, 'problem', e)})",
                          where=f"{BACKFILL}:{mark.line + 1 if mark else 1}") from e
    if not isinstance(entries, list):
        raise LedgerError("must be a list of entries (- date: ..., commit: ..., ...)", where=f"{BACKFILL}:1")
    out = []
    for i, entry in enumerate(entries, 1):
        missing = [k for k in ("date", "commit", "field", "old", "new", "why") if k not in (entry or {})]
        if missing or not (entry.get("verdicts") or entry.get("figures")):
            raise LedgerError(f"entry {i} lacks {missing or ['verdicts or figures']}", where=BACKFILL)
        wanted = set(entry.get("verdicts") or [])
        wanted |= {v for v in records if v.split(".", 1)[0] in set(entry.get("figures") or [])}
        event = Event(str(entry["date"]), str(entry["commit"]), "rule", str(entry["field"]), str(entry["old"]),
                      str(entry["new"]), str(entry["why"]))
        out += [(v, event) for v in sorted(wanted)]
    return out
