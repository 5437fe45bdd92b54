# %% [markdown]
# # Near-orthogonality, interactively
#
# A notebook page: this file is a jupytext percent-format script, executed by the figure engine when it or
# `scripts/analysis/geometry.py` changes, and rendered by mkdocs-jupyter.

# %%
import numpy as np

from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors

rng = np.random.default_rng(0)
for d in (4, 64, 1024):
    c = pairwise_cosines(random_unit_vectors(300, d, rng))
    print(f"d = {d:5d}: std of cosine {c.std():.4f}, 1/sqrt(d) = {1 / np.sqrt(d):.4f}")

# %% [markdown]
# The fraction of pairs whose angle is within $10°$ of a right angle, as the dimension grows:

# %%
import matplotlib.pyplot as plt

dims = [2, 4, 8, 16, 32, 64, 128, 256, 512]
within = [np.mean(np.abs(pairwise_cosines(random_unit_vectors(300, d, rng))) < np.sin(np.radians(10))) for d in dims]
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogx(dims, within, "o-", base=2)
ax.set(xlabel="dimension d", ylabel="fraction of pairs within 10° of 90°")
plt.show()
