"""Modular addition, the grokking paper's task: `a b =` -> (a + b) mod p, with a seeded train/test split.

Token ids 0..p-1 are the numbers and p is `=`; every input is the three tokens (a, b, p) and the model is read
at the last position only. The split is drawn from the same seed as the model's initialisation, so two seeds
differ in both (the paper's reruns do too).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from jaxtyping import Int
from torch import Tensor

P = 113  # the paper's prime
TRAIN_FRACTION = 0.3  # 3,830 of the 12,769 pairs


@dataclass(frozen=True)
class Split:
    """Every pair (a, b), in row-major order, and which of them are for training."""

    p: int
    a: Int[Tensor, " pairs"]
    b: Int[Tensor, " pairs"]
    train: Int[Tensor, " n_train"]  # indices into the pairs
    test: Int[Tensor, " n_test"]

    @property
    def labels(self) -> Int[Tensor, " pairs"]:
        return (self.a + self.b) % self.p

    def tokens(self, idx: Int[Tensor, " n"] | None = None) -> Int[Tensor, "n 3"]:
        """Inputs `a b =` as token ids (for the TransformerBridge forward)."""
        a, b = (self.a, self.b) if idx is None else (self.a[idx], self.b[idx])
        return torch.stack([a, b, torch.full_like(a, self.p)], dim=1)


def make_split(seed: int, p: int = P, train_fraction: float = TRAIN_FRACTION) -> Split:
    ab = torch.arange(p * p)
    a, b = ab // p, ab % p
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    n_train = int(train_fraction * p * p)  # 3,830, as in the paper's code (int(), not round())
    return Split(p=p, a=a, b=b, train=order[:n_train].sort().values, test=order[n_train:].sort().values)
