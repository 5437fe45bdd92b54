"""Reading a sparse autoencoder trained on a model's MLP activations (Towards Monosemanticity; scripts/sae/).

- `mlp_activations`: the MLP's hidden activations (after its ReLU), `blocks.0.mlp.hook_post`, per token.
- `spliced_losses`: the model's next-token loss when those activations are replaced by the autoencoder's
  reconstruction, against clean and against zero-ablation (the MLP's output reduced to its bias), and the
  fraction of the loss recovered, (zero - spliced) / (zero - clean).
- `feature_density`: how often each feature fires, and `l0`/`mse` on held-out activations.

Activations are scaled by the artifact's `scale` (mean squared norm = d_mlp on held-in text) before the
autoencoder sees them, and the reconstruction is scaled back.
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model
from scripts.sae.model import SparseAutoencoder

HOOK = "blocks.0.mlp.hook_post"


@torch.no_grad()
def mlp_activations(model: Model, tokens: Int[Tensor, "batch pos"], chunk: int = 32) -> Float[Tensor, "batch pos d_mlp"]:
    """The MLP's hidden activations on `tokens`, in chunks of windows."""
    out = []
    for i in range(0, len(tokens), chunk):
        _, cache = model.run_with_cache(tokens[i:i + chunk], names_filter=HOOK)
        out.append(cache[HOOK].float())
    return torch.cat(out)


@torch.no_grad()
def spliced_losses(model: Model, sae: SparseAutoencoder, scale: float, tokens: Int[Tensor, "batch pos"],
                   chunk: int = 32, mean: Float[Tensor, " d_mlp"] | None = None) -> dict[str, Float[Tensor, " batch"]]:
    """Per window, the mean next-token loss: `clean`, `spliced` (hook_post := the reconstruction) and `zero`
    (hook_post := 0, so the MLP adds only its output bias); with `mean`, also `mean` (hook_post := that vector at
    every position: mean-ablation, the other baseline a reviewer would try)."""
    def splice(act, hook):
        flat = act.reshape(-1, act.shape[-1]).float() * scale
        return (sae(flat)[0] / scale).reshape(act.shape).to(act.dtype)

    def zero(act, hook):
        return torch.zeros_like(act)

    def average(act, hook):
        return mean.to(act.dtype).expand_as(act).clone()

    ablations = [("spliced", splice), ("zero", zero)] + ([("mean", average)] if mean is not None else [])
    out: dict[str, list[Tensor]] = {"clean": []} | {name: [] for name, _ in ablations}
    for i in range(0, len(tokens), chunk):
        batch = tokens[i:i + chunk]
        out["clean"].append(model(batch, return_type="loss", loss_per_token=True).mean(-1))
        for name, fn in ablations:
            with model.hooks(fwd_hooks=[(HOOK, fn)]):
                out[name].append(model(batch, return_type="loss", loss_per_token=True).mean(-1))
    return {k: torch.cat(v) for k, v in out.items()}


def loss_recovered(losses: dict[str, Float[Tensor, " batch"]], baseline: str = "zero") -> float:
    """(base - spliced) / (base - clean) of the mean losses, base the `baseline` ablation's: 1 = as good as the
    MLP, 0 = as bad as the ablated MLP."""
    clean, spliced, base = (float(losses[k].mean()) for k in ("clean", "spliced", baseline))
    return (base - spliced) / (base - clean)


@torch.no_grad()
def feature_stats(sae: SparseAutoencoder, acts: Float[Tensor, "n d_in"], chunk: int = 8192
                  ) -> dict[str, Tensor]:
    """On scaled activations: each feature's firing frequency [d_sae], the mean L0 and the mean squared error
    (summed over dimensions) per token, and the fraction of variance unexplained."""
    fires = torch.zeros(sae.d_sae, dtype=torch.float64)
    l0 = sq = var = 0.0
    mean = acts.mean(0)
    for i in range(0, len(acts), chunk):
        x = acts[i:i + chunk].float()
        x_hat, f = sae(x)
        active = f > 0
        fires += active.double().sum(0)
        l0 += float(active.double().sum())
        sq += float((x_hat - x).double().pow(2).sum())
        var += float((x - mean).double().pow(2).sum())
    n = len(acts)
    return {"density": fires / n, "l0": torch.tensor(l0 / n), "mse": torch.tensor(sq / n),
            "fvu": torch.tensor(sq / var)}
