"""What a figure script returns: the data its plot needs and the numbers its page quotes.

A figure script defines two functions; the engine calls them in a fresh process:

    def compute(params: dict) -> Result      # the real computation, once
    def plot(result: Result, theme: str) -> matplotlib.figure.Figure   # once per theme: "light", "dark"

`Result.values` are the numbers the prose quotes with {{ value("figure-id.key") }}. Give a string to
control the wording ("3e-6", "invariant"); a number is written with three significant digits.
`Result.widget_data` is the JSON an interactive figure (a declaration with `widget:`) loads in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    data: dict[str, Any] = field(default_factory=dict)
    values: dict[str, str | int | float] = field(default_factory=dict)
    widget_data: dict[str, Any] | None = None


def format_value(v: str | int | float) -> str:
    if isinstance(v, (bool, str)):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:.3g}"
