"""The training corpus: real Python code and English docstrings that every machine has offline.

Source: the Python files of the `transformers` wheel pinned in requirements.txt (Apache-2.0,
© the Hugging Face team and contributors). It is already a dependency, so a fresh clone that installed
`requirements.txt` holds exactly the same bytes; no download is involved. The corpus is the first
`max_bytes` of those files in sorted path order, each with its leading licence comment stripped (the same
15 lines atop every file teach nothing but memorisation). Its SHA-256 is pinned below: a different
`transformers` version gives a different corpus and a clear error instead of a silently different model.

Documents are streamed one file at a time; tokens are cached as a uint16 memmap under `.cache/` so
training never holds the corpus in memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import pathlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scripts.engine.errors import EngineError

SOURCE_PACKAGE = "transformers"
SOURCE_VERSION = "5.23.0"  # must match requirements.txt; the hash below depends on it
LICENCE = "Apache-2.0 (source files of the transformers wheel, © The Hugging Face team)"

_LICENCE_HEADER = re.compile(r"\A(?:#[^\n]*\n|\s*\n)*")


@dataclass(frozen=True)
class CorpusSpec:
    """Which files make the corpus. Defaults give the pinned corpus of the zoo."""

    max_bytes: int = 12_000_000  # ~3.5M BPE tokens: more than the zoo sees in one epoch of training
    subdir: str = ""  # restrict to a sub-folder of the package (tests use a small one)


class CorpusError(EngineError):
    """The corpus cannot be built as pinned (package missing or a different version)."""


def package_root() -> pathlib.Path:
    try:
        dist = importlib.metadata.distribution(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError as e:
        raise CorpusError(
            f"The corpus is read from the `{SOURCE_PACKAGE}` package, which is not installed. "
            "Install the pinned requirements: `pip install -r requirements.txt`."
        ) from e
    if dist.version != SOURCE_VERSION:
        raise CorpusError(
            f"The corpus is pinned to {SOURCE_PACKAGE}=={SOURCE_VERSION} but {dist.version} is installed; "
            "the zoo's checkpoints and hashes would not match. Install the pinned requirements."
        )
    return pathlib.Path(str(dist.locate_file(SOURCE_PACKAGE)))


def strip_licence(text: str) -> str:
    """Drop the leading run of comment and blank lines (the licence header)."""
    return _LICENCE_HEADER.sub("", text, count=1)


def iter_documents(spec: CorpusSpec = CorpusSpec()) -> Iterator[tuple[str, str]]:
    """Yield (relative path, text) for each corpus file, in a fixed order, until max_bytes."""
    root = package_root()
    base = root / spec.subdir if spec.subdir else root
    total = 0
    for path in sorted(base.rglob("*.py")):
        text = strip_licence(path.read_text(encoding="utf-8", errors="replace"))
        if not text.strip():
            continue
        if total + len(text.encode()) > spec.max_bytes:
            break
        total += len(text.encode())
        yield path.relative_to(root).as_posix(), text


def corpus_sha256(spec: CorpusSpec = CorpusSpec()) -> str:
    """Content hash of the corpus: every (path, text) pair in order."""
    h = hashlib.sha256()
    for rel, text in iter_documents(spec):
        h.update(rel.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()


def english_sentences(n: int, spec: CorpusSpec = CorpusSpec(), *, min_words: int = 8, max_words: int = 40) -> list[str]:
    """The first `n` prose sentences of the corpus's docstrings, in corpus order (deterministic, offline).

    A sentence: starts with a capital letter, ends with a full stop, has no code characters, and has
    between `min_words` and `max_words` words. Used to probe models trained on English (MiniLM).
    """
    out: list[str] = []
    for _, text in iter_documents(spec):
        for doc in re.findall(r'"""(.*?)"""', text, flags=re.S):
            for sent in re.split(r"(?<=\.)\s+", " ".join(doc.split())):
                words = sent.split()
                if (min_words <= len(words) <= max_words and sent[0].isupper() and sent.endswith(".")
                        and not re.search(r"[`=_(){}\[\]<>:/\\*#|]", sent)):
                    out.append(sent)
                    if len(out) == n:
                        return out
    return out
