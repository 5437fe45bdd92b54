"""A byte-level BPE tokenizer trained locally on the corpus, and the token cache built with it.

The vocabulary is small (1024 by default) so the unembedding stays cheap on a CPU, yet large enough that
most tokens are whole words or code pieces (` self`, ` return`, `_size`), so bigram and skip-trigram
tables read as language. `<|bos|>` starts every training sequence; `<|pad|>` is never trained on.
"""

from __future__ import annotations

import hashlib
import json
import pathlib

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from tqdm import tqdm

from scripts.engine.paths import atomic_path
from scripts.zoo.corpus import CorpusSpec, iter_documents

BOS, PAD = "<|bos|>", "<|pad|>"


def train_tokenizer(spec: CorpusSpec, vocab_size: int) -> Tokenizer:
    """Byte-level BPE (GPT-2 pre-tokenisation) trained on the corpus documents, deterministic."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator((text for _, text in iter_documents(spec)), trainer)
    return tok


def wrap_for_bridge(tok: Tokenizer):
    """A `PreTrainedTokenizerFast` the TransformerBridge accepts (needs add_bos_token and a name)."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=BOS, pad_token=PAD,
        add_bos_token=True, name_or_path="zoo-bpe",
    )


def encode_corpus(tok: Tokenizer, spec: CorpusSpec, cache_dir: pathlib.Path) -> np.memmap:
    """Tokenise the corpus document by document into a uint16 file (BOS before each document).

    The file is named by the tokenizer's and the corpus spec's content, so training and every figure that
    reads the corpus share one cache. Written to a temporary file and renamed, so an interrupted run never
    leaves a half-written cache.
    """
    # Key on what decides the ids (vocabulary, merges, pre-tokenisation), not on wrappers' extras: the
    # bridge's copy of a tokenizer adds a BOS post-processor but encodes the corpus identically below.
    parts = {k: v for k, v in json.loads(tok.to_str()).items() if k in ("model", "pre_tokenizer", "normalizer")}
    key = hashlib.sha256((json.dumps(parts, sort_keys=True) + repr(spec)).encode()).hexdigest()[:16]
    path = cache_dir / f"tokens-{key}.bin"
    if path.exists():
        return np.memmap(path, dtype=np.uint16, mode="r")
    bos = tok.token_to_id(BOS)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        for _, text in tqdm(iter_documents(spec), desc="tokenising corpus", unit="file", leave=False):  # streamed
            ids = np.asarray([bos] + tok.encode(text, add_special_tokens=False).ids, dtype=np.uint16)
            f.write(ids.tobytes())
    return np.memmap(path, dtype=np.uint16, mode="r")
