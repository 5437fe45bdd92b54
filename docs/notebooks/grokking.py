# %% [markdown]
# # Reading the grokking model in the Fourier basis
#
# A companion to the note [Grokking, measured](../../2026/11/22/grokking/). It loads one trained model
# (seed 0 of the seeds the build trains: `models/grokking-seed0`) and takes its algorithm apart step by step,
# with the same functions the note's figures use (`scripts/analysis/fourier.py`, `scripts/analysis/grokking.py`).
# Download it as `.ipynb` (button at the top of the page), change `SEED` or the frequencies, and rerun.
#
# engine-inputs: models/grokking-seed0

# %%
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm's notice names a local path

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.fourier import embedding_spectrum, excluded_logits, key_frequencies, loss_on, restricted_logits
from scripts.analysis.grokking import algorithm_fit, neuron_frequencies
from scripts.grokking.load import load
from scripts.grokking.model import fast_logits, mlp_activations

SEED = 0
t = load(SEED)
p = t.split.p
print(f"seed {SEED}: trained {t.config['epochs']:,} epochs on {len(t.split.train):,} of {p * p:,} pairs")

# %% [markdown]
# ## 1. The embedding is built from a few waves
#
# Write each number's embedding (a row of $W_E$) as a function of the number $x$, and expand that function
# in the Fourier basis $\cos(w_k x), \sin(w_k x)$ with $w_k = 2\pi k / p$. A model that had no use for
# periodicity would spread its embedding over all 56 frequencies; this one puts nearly all of it on a few.

# %%
spectrum = embedding_spectrum(t.model.original_model.tok_embed.weight[:p])
keys = key_frequencies(spectrum)
print("key frequencies:", keys, "carrying", f"{spectrum[np.array(keys) - 1].sum():.1%}", "of the embedding")
fig, ax = plt.subplots(figsize=(7, 2.4))
ax.bar(np.arange(1, len(spectrum) + 1), spectrum, color=["C1" if k in keys else "C0" for k in range(1, 57)])
ax.set(xlabel="frequency k", ylabel="share of W_E")
plt.show()

# %% [markdown]
# Project the embeddings onto the cosine and sine of one key frequency: the 113 numbers sit on a circle,
# in the order $x \cdot k \bmod p$. This is the representation the paper describes: a number is an angle.

# %%
from scripts.analysis.fourier import fourier_basis

basis = fourier_basis(p).float()
W_E = t.model.original_model.tok_embed.weight[:p].detach()
k = keys[0]
cos_dir, sin_dir = basis[2 * k - 1] @ W_E, basis[2 * k] @ W_E  # the two directions in d_model
xy = torch.stack([W_E @ cos_dir, W_E @ sin_dir], 1).numpy()
fig, ax = plt.subplots(figsize=(3.6, 3.6))
ax.scatter(xy[:, 0], xy[:, 1], c=np.arange(p), cmap="twilight", s=14)
for x in range(0, p, 19):
    ax.annotate(str(x), xy[x], fontsize=8)
ax.set(aspect="equal", title=f"W_E on frequency {k}", xticks=[], yticks=[])
plt.show()

# %% [markdown]
# ## 2. The logits are cosines of a + b − c
#
# The algorithm ends with logits $\sum_k \alpha_k \cos(w_k(a + b - c))$, largest at $c = a + b \bmod p$. Fit
# exactly those terms to the model's logits over all $p^2$ inputs and ask how much of their variance they
# explain.

# %%
with torch.no_grad():
    logits = fast_logits(t.model, t.split.a, t.split.b).view(p, p, p)
total, explained = algorithm_fit(logits, keys)
print(f"cos(w(a+b-c)) terms at {keys} explain {explained.sum() / total.sum():.1%} of the logits' variance")

# %% [markdown]
# ## 3. Restricted and excluded loss
#
# Keep only the key frequencies' $\cos(w(a+b))$, $\sin(w(a+b))$ components of the logits, and the loss on the
# test pairs barely moves; remove them, and the loss on the *training* pairs collapses to about chance. The
# memorised lookup table is gone: the model computes the answer with these frequencies and nothing else.

# %%
full = loss_on(logits.double(), t.split.test)
kept = loss_on(restricted_logits(logits.double(), keys), t.split.test)
removed = loss_on(excluded_logits(logits.double(), keys), t.split.train)
print(f"test loss {full:.3g}; restricted to the key frequencies {kept:.3g}; "
      f"training loss with them removed {removed:.3g} (chance: ln {p} = {np.log(p):.3g})")

# %% [markdown]
# Try it: drop one key frequency from `keys` and recompute; or keep only the largest one.

# %%
for drop in keys:
    rest = [k for k in keys if k != drop]
    print(f"without k = {drop:2d}: restricted test loss {loss_on(restricted_logits(logits.double(), rest), t.split.test):.3g}")

# %% [markdown]
# ## 4. Neurons, grouped by frequency
#
# Each MLP neuron's activation is a function of $(a, b)$. For each frequency, the terms with that frequency
# (or none) in $a$ and in $b$ explain some fraction of it; most neurons belong almost entirely to one key
# frequency.

# %%
with torch.no_grad():
    acts = mlp_activations(t.model, t.split.a, t.split.b).view(p, p, -1)
best, share = neuron_frequencies(acts)
active = share > 0
for k in keys:
    members = active & (best == k)
    print(f"k = {k:2d}: {members.sum():3d} neurons, median share explained {np.median(share[members]):.2f}")
print(f"other frequencies: {(active & ~np.isin(best, keys)).sum()} neurons; inactive: {(~active).sum()}")
