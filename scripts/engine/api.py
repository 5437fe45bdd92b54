"""What a figure script returns: the data its plot needs and the numbers its page quotes.

A figure script defines two functions; the engine calls them in a fresh process:

    def compute(params: dict) -> Result      # the real computation, once
    def plot(result: Result, theme: str) -> matplotlib.figure.Figure   # once per theme: "light", "dark"

`Result.values` are the numbers the prose quotes with {{ value("figure-id.key") }}. Give a string to
control the wording ("3e-6", "invariant"); a number is written with three significant digits.
`Result.widget_data` is the JSON an interactive figure (a declaration with `widget:`) loads in the browser.
`Result.verdicts` holds, for each verdict the declaration states, an `Estimate` of its statistic — or a
mapping seed label -> Estimate when the claim is tested on several training seeds (the first is the
headline). The engine applies the declared rule (scripts/engine/verdicts.py); scripts never pick an
outcome themselves. `scripts/analysis/stats.py` makes Estimates (bootstrap, null distributions).
`Result.tables` maps a key to a `Table` (column names and rows of strings or numbers): the page shows it
as a real HTML table with {{ table("figure-id.key") }} — searchable and copyable, unlike a table drawn
as a figure. Tokens in cells should go through `visible_whitespace` ("␣the↵"), so spaces, newlines and
tabs are visible; numbers are formatted like values unless given as strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """A statistic with its confidence interval: `value` in [`low`, `high`] at `level`, from `n` `unit`."""

    value: float
    low: float
    high: float
    n: int
    unit: str  # what n counts: "held-out windows", "null draws", "logits"
    method: str  # how the interval was made: "bootstrap, 2,000 resamples", "exact (no sampling)"
    level: float = 0.95
    # A known upper limit of the quantity (a target's entropy for bits a probe reads; what the input already
    # determines): shown beside the estimate, and an estimate above it is refused, never published.
    ceiling: float | None = None
    # What the interval covers: "sampled" (a bootstrap over units that were sampled), "seeds" (training runs),
    # "null" (a z-score's null draws), "bound" (bounds, not a confidence interval) or "exact" (no sampling).
    # Empty: read from `method` (verdicts.interval_kind). The verdict labels the interval by it.
    covers: str = ""

    @property
    def text(self) -> str:
        """The value at the precision its interval supports (as the verdict shows it)."""
        from scripts.engine.verdicts import format_interval

        return format_interval(self.value, self.low, self.high)[0]

    @property
    def interval(self) -> str:
        """'[low, high]' at the precision the interval supports (as the verdict shows it)."""
        from scripts.engine.verdicts import format_interval

        return "[{1}, {2}]".format(*format_interval(self.value, self.low, self.high))

    def fixed(self, places: int = 2) -> str:
        """'value [low, high]' at a fixed number of decimal places (for tables comparing many estimates)."""
        return f"{self.value:.{places}f} [{self.low:.{places}f}, {self.high:.{places}f}]"


WHITESPACE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def threshold_moved(high_threshold: int, low_threshold: int) -> str:
    """A count of passing items with a threshold 10 % higher and 10 % lower, as a reader's sentence."""
    if high_threshold == low_threshold:
        return "the same count with the threshold 10 % higher or lower"
    return f"{high_threshold} to {low_threshold} with the threshold 10 % higher or lower"


def visible_whitespace(token: str) -> str:
    """A token with its whitespace drawn: space ␣, newline ↵, tab ⇥ (for tables and tick labels)."""
    return "".join(WHITESPACE.get(ch, ch) for ch in token)


@dataclass(frozen=True)
class Table:
    """A table the page renders as HTML: `columns` (header strings) and `rows` (one list per row, one
    cell per column: str, int or float). `align` per column ("left", "right", "center"; default: right
    for columns whose cells are all numbers). `caption` is optional text shown above it."""

    columns: list[str]
    rows: list[list[str | int | float]]
    caption: str = ""
    align: list[str] | None = None

    def as_json(self) -> dict:
        """What the job writes under "tables" in ID.json (cells as the strings the page shows)."""
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"Table row {i} has {len(row)} cells for {len(self.columns)} columns")
        align = list(self.align) if self.align is not None else [
            "right" if self.rows and all(isinstance(r[j], (int, float)) and not isinstance(r[j], bool)
                                         for r in self.rows) else "left"
            for j in range(len(self.columns))]
        if len(align) != len(self.columns) or not set(align) <= {"left", "right", "center"}:
            raise ValueError(f"Table align {align!r}: one of left/right/center per column")
        return {"columns": [str(c) for c in self.columns], "align": align, "caption": self.caption,
                "rows": [[format_value(c) for c in row] for row in self.rows]}


@dataclass
class Result:
    data: dict[str, Any] = field(default_factory=dict)
    values: dict[str, str | int | float] = field(default_factory=dict)
    widget_data: dict[str, Any] | None = None
    widget_shards: list[Any] | None = None  # with `shards: N` declared: N pieces of data fetched on demand
    verdicts: dict[str, Estimate | dict[str, Estimate]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)


def format_value(v: str | int | float) -> str:
    if isinstance(v, (bool, str)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.3g}"
