"""The project's one base error: every problem a person must fix is an `EngineError`.

Each subsystem has its one subclass, defined next to the code that raises it: the engine's (`DeclarationError`,
`TraceError`, `InputError`, `ArtifactError`, `WorkerError`, `NonFiniteError`), the pages' (`BibliographyError`,
`SeriesError`, `VerdictError`), the figure style's (`LayoutError`), the zoo's (`ModelLoadError`, `CorpusError`),
grokking's (`GrokkingModelError`) and the authoring tools' (`ImportError_`). Every entry point catches this
base: the engine's command line and the authoring commands print it and exit 2, the MkDocs hooks log it (serve)
or stop the build before `site/` is touched (strict), and a job writes its message, not a traceback.
Anything else escaping is a bug, and shows its traceback.

`where` is `file:line` when the error has a place in a file, so editors can jump to it.
"""

from __future__ import annotations


class EngineError(Exception):
    """A problem a person must fix; the message says what and, where possible, `file:line` and the fix."""

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message
