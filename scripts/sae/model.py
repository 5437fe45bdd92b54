"""A sparse autoencoder on MLP activations, Towards Monosemanticity's recipe in its essentials (Bricken et al.,
2023). Ours because sae-lens, the field's library, pins transformer-lens < 4 and imports HookedTransformer at
import time, so it cannot be installed beside transformer-lens 4 (README, "Sparse autoencoders").

    f  = ReLU(W_enc (x - b_dec) + b_enc)      features, d_sae of them
    x̂ = f W_dec + b_dec                        W_dec's rows unit norm: a feature's size lives in f alone
    L  = ‖x - x̂‖² + λ ‖f‖₁                    (summed over dimensions, averaged over the batch)

- **Pre-encoder bias.** b_dec is subtracted before encoding and added back after decoding; it starts at the
  data's mean (the paper uses the geometric median; the mean is what its public replications use).
- **Unit-norm decoder.** After each step the rows are renormalised and, before it, the gradient's component
  along each row is removed, so λ cannot be dodged by shrinking f and growing W_dec.
- **Dead features** are resampled at fixed steps (`resample_at`): a feature that has not fired on any of the
  last `window` batches gets a new decoder row pointing at an input the autoencoder reconstructs badly
  (drawn with probability ∝ its squared error), an encoder row 0.2 × the mean living encoder norm along it,
  b_enc 0, and its Adam state reset. That is the paper's scheme, minus its per-step schedule of the
  learning rate after a resample.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor
from tqdm import tqdm


class SparseAutoencoder(torch.nn.Module):
    def __init__(self, d_in: int, d_sae: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        W_dec = torch.randn(d_sae, d_in, generator=g)
        W_dec /= W_dec.norm(dim=1, keepdim=True)
        self.W_dec = torch.nn.Parameter(W_dec)
        self.W_enc = torch.nn.Parameter(W_dec.T.clone())  # tied at the start, as the paper's replications do
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    @property
    def d_sae(self) -> int:
        return self.W_dec.shape[0]

    def encode(self, x: Float[Tensor, "batch d_in"]) -> Float[Tensor, "batch d_sae"]:
        return ((x - self.b_dec) @ self.W_enc + self.b_enc).relu()

    def decode(self, f: Float[Tensor, "batch d_sae"]) -> Float[Tensor, "batch d_in"]:
        return f @ self.W_dec + self.b_dec

    def forward(self, x: Float[Tensor, "batch d_in"]) -> tuple[Float[Tensor, "batch d_in"], Float[Tensor, "batch d_sae"]]:
        f = self.encode(x)
        return self.decode(f), f


def sae_loss(sae: SparseAutoencoder, x: Float[Tensor, "batch d_in"], l1: float
             ) -> tuple[Tensor, Tensor, Tensor, Float[Tensor, "batch d_sae"]]:
    """(loss, mse, sparsity term, f): squared error summed over dimensions and λ·‖f‖₁, each averaged over the batch."""
    x_hat, f = sae(x)
    mse = (x_hat - x).pow(2).sum(-1).mean()
    sparsity = l1 * f.abs().sum(-1).mean()
    return mse + sparsity, mse, sparsity, f


@torch.no_grad()
def _unit_rows(sae: SparseAutoencoder) -> None:
    sae.W_dec /= sae.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-8)


@torch.no_grad()
def _remove_parallel_grad(sae: SparseAutoencoder) -> None:
    """Drop the gradient's component along each decoder row: the step then only turns the row."""
    if sae.W_dec.grad is not None:
        sae.W_dec.grad -= (sae.W_dec.grad * sae.W_dec).sum(1, keepdim=True) * sae.W_dec


@torch.no_grad()
def resample_dead(sae: SparseAutoencoder, opt: torch.optim.Adam, dead: torch.Tensor, x: Float[Tensor, "batch d_in"],
                  rng: np.random.Generator) -> int:
    """Give each dead feature (a bool mask [d_sae]) a new direction: an input of `x` reconstructed badly. Returns
    how many were resampled."""
    idx = dead.nonzero().flatten()
    if len(idx) == 0:
        return 0
    err = (sae(x)[0] - x).pow(2).sum(-1).double()
    p = (err / err.sum()).numpy() if float(err.sum()) > 0 else None
    candidates = len(x) if p is None else int((p > 0).sum())
    pick = torch.from_numpy(rng.choice(len(x), size=len(idx), replace=len(idx) > candidates, p=p))
    directions = x[pick] - sae.b_dec
    directions /= directions.norm(dim=1, keepdim=True).clamp_min(1e-8)
    alive = ~dead
    scale = 0.2 * (sae.W_enc[:, alive].norm(dim=0).mean() if alive.any() else torch.tensor(1.0))
    sae.W_dec[idx] = directions
    sae.W_enc[:, idx] = directions.T * scale
    sae.b_enc[idx] = 0.0
    for param, cols in ((sae.W_dec, (idx, slice(None))), (sae.W_enc, (slice(None), idx)), (sae.b_enc, (idx,))):
        state = opt.state.get(param, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key][cols] = 0.0
    return len(idx)


def train_sae(batches: Callable[[int], Float[Tensor, "batch d_in"]], d_in: int, d_sae: int, *, l1: float, steps: int,
              lr: float = 1e-3, seed: int = 0, init_mean: Float[Tensor, " d_in"] | None = None,
              resample_at: tuple[int, ...] = (), window: int = 200, progress: str = "") -> tuple[SparseAutoencoder, dict]:
    """Train an autoencoder on `batches(step)` (activations, already scaled). Returns it and a log: per-step loss,
    mse, L0 every 50 steps, and how many features each resampling revived."""
    torch.manual_seed(seed)
    sae = SparseAutoencoder(d_in, d_sae, seed=seed)
    if init_mean is not None:
        with torch.no_grad():
            sae.b_dec.copy_(init_mean)
    opt = torch.optim.Adam(sae.parameters(), lr=lr, betas=(0.9, 0.999))
    rng = np.random.default_rng(seed)
    last_fired = torch.zeros(d_sae, dtype=torch.long)  # the last step each feature fired on (0: never)
    log: dict = {"step": [], "mse": [], "l0": [], "resampled": []}
    bar = tqdm(range(1, steps + 1), desc=progress or "sae", unit="step", disable=not progress, mininterval=2)
    for step in bar:
        x = batches(step)
        loss, mse, _, f = sae_loss(sae, x, l1)
        mse, f = mse.detach(), f.detach()
        loss.backward()
        _remove_parallel_grad(sae)
        opt.step()
        opt.zero_grad(set_to_none=True)
        _unit_rows(sae)
        last_fired[(f > 0).any(0)] = step
        if step in resample_at:  # dead: not fired on any of the last `window` batches
            log["resampled"].append([step, resample_dead(sae, opt, step - last_fired >= window, x, rng)])
            last_fired[step - last_fired >= window] = step  # a resampled feature gets a fresh window
        if step % 50 == 0 or step == steps:
            l0 = float((f > 0).float().sum(-1).mean())
            log["step"].append(step), log["mse"].append(float(mse)), log["l0"].append(l0)
            bar.set_postfix_str(f"mse {float(mse):.3f} L0 {l0:.1f}")
    return sae, log
