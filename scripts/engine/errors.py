"""The one error type of the figure engine.

Everything the engine reports to a person — a malformed declaration, a file that does not parse, a missing
input, an unknown figure id, a broken manifest, a failed verification — is an `EngineError` (or a subclass
defined next to the code that raises it). Every entry point catches exactly this type: the command line
prints it and exits 2, the MkDocs hooks log it (serve) or stop the build before `site/` is touched (strict).
Anything else escaping the engine is a bug in the engine, and shows its traceback.

`where` is `file:line` when the error has a place in a file, so editors can jump to it.
"""

from __future__ import annotations


class EngineError(Exception):
    """A problem a person must fix; the message says what and, where possible, `file:line` and the fix."""

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message
