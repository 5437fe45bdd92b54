"""What an import could not carry over as it was: one finding per element, with its source line.

A finding is either a *loss* (content the reader of the Jekyll post saw and the imported post does not show —
`--strict` refuses to write while there is one) or a *note* (the content is there, in another form: a sidenote
that became a footnote, a theme's table-of-contents include that Material's sidebar replaces, Liquid kept as
written inside code).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    line: int       # 1-based line of the source file (0: the file as a whole)
    message: str    # what happened to the element, and what to do about it
    lost: bool = False

    def render(self, display: str) -> str:
        where = f"{display}:{self.line}" if self.line else display
        return f"{where}: {'lost' if self.lost else 'note'}: {self.message}"
