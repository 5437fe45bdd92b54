"""Training batches: windows of the corpus, most with a span copied later, a few synthetic repeats.

Two ways of raising in-context repetition, the situation an induction head exploits:
- in a `repeat_fraction` of windows a span of the real text reappears later in the same window;
- a `random_repeat_fraction` of sequences are a segment of uniformly random tokens repeated with a random
  period (10 to 40 tokens). Random tokens have no bigram statistics to lean on, so the only way to predict
  the repeats is to look back in context; the varying period rules out a purely positional shortcut.
Measured on 2 cores (README, "Training the zoo"): with only copied spans the induction score was 0.21 after
10M tokens; adding 10 % synthetic repeats gives the phase change at ~5M tokens.
The last `eval_fraction` of the token stream is held out for evaluation and never sampled for training.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Int
from torch import Tensor

EVAL_FRACTION = 0.05  # the last 5 % of the token stream is held out


def train_end(n_tokens: int, eval_fraction: float = EVAL_FRACTION) -> int:
    """Index where the held-out part of a token stream of length n_tokens begins."""
    return int(n_tokens * (1 - eval_fraction))


class WindowSampler:
    def __init__(self, tokens: np.ndarray, n_ctx: int, bos: int, *, repeat_fraction: float,
                 random_repeat_fraction: float, d_vocab: int, seed: int, eval_fraction: float = EVAL_FRACTION,
                 first_regular_token: int = 2):
        self.tokens, self.n_ctx, self.bos = tokens, n_ctx, bos
        self.repeat_fraction, self.random_repeat_fraction = repeat_fraction, random_repeat_fraction
        self.token_range = (first_regular_token, d_vocab)
        self.train_end = train_end(len(tokens), eval_fraction)
        self.rng = np.random.default_rng(seed)

    def _window(self, start: int) -> np.ndarray:
        return np.asarray(self.tokens[start:start + self.n_ctx - 1], dtype=np.int64)

    def sample(self, batch: int) -> Int[Tensor, "batch n_ctx"]:
        """`[BOS] + window` (a copied span with probability repeat_fraction) or `[BOS] + r r r ...`."""
        t = self.n_ctx - 1
        out = np.empty((batch, self.n_ctx), dtype=np.int64)
        out[:, 0] = self.bos
        for b in range(batch):
            w = self._window(int(self.rng.integers(0, self.train_end - t)))
            if self.rng.random() < self.repeat_fraction:
                length = int(self.rng.integers(8, t // 3))
                i = int(self.rng.integers(0, t - 2 * length))
                j = int(self.rng.integers(i + length, t - length + 1))
                w[j:j + length] = w[i:i + length]
            if self.rng.random() < self.random_repeat_fraction:
                period = int(self.rng.integers(10, 41))
                w = np.tile(self.rng.integers(*self.token_range, period), t // period + 1)[:t]
            out[b, 1:] = w
        return torch.from_numpy(out)

    def held_out(self, batch: int) -> Int[Tensor, "batch n_ctx"]:
        """Evenly spaced, unmodified windows of the held-out text (the same every call)."""
        t = self.n_ctx - 1
        starts = np.linspace(self.train_end, len(self.tokens) - t - 1, batch).astype(int)
        out = np.stack([np.concatenate([[self.bos], self._window(s)]) for s in starts])
        return torch.from_numpy(out)

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state
