"""Train the sparse autoencoders of the Towards Monosemanticity note on a zoo model's MLP activations: an artifact.

    python -m scripts.engine train sae-mlp-1l     # what an author runs

Params (figures/models.yml): the model, the dictionary sizes, λ, steps, batch, learning rate, the resampling
steps and the number of held-in windows whose activations make the training pool. The pool is computed once
(held-in windows of the corpus, never the held-out 5 %), scaled so the mean squared norm is d_mlp, stored as
float16, and each dictionary size trains on its own shuffle of it, one after another, each with its own
progress bar. A finished size is kept in the cache folder, so an interrupted training resumes with the sizes it
had not finished.

Output, per size: `sae-<size>.safetensors` (W_enc, W_dec, b_enc, b_dec) and `sae-<size>.json` (the training
log: mse and L0 every 50 steps, resampled counts, seconds); and `pool.json` (the scale and the pool's size).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import time

import numpy as np
import torch
from safetensors.torch import save_file

from scripts.analysis.sae import mlp_activations
from scripts.sae.model import train_sae
from scripts.zoo.data import WindowSampler
from scripts.zoo.load import corpus_tokens, load_model


def activation_pool(model, windows: int, seed: int) -> torch.Tensor:
    """MLP activations of `windows` held-in windows drawn at random from the training part, [tokens d_mlp]."""
    tokens, _ = corpus_tokens(model)
    sampler = WindowSampler(tokens, model.cfg.n_ctx, model.tokenizer.bos_token_id, repeat_fraction=0,
                            random_repeat_fraction=0, d_vocab=model.cfg.d_vocab, seed=seed)
    text = sampler.sample(windows)
    return mlp_activations(model, text).reshape(-1, model.cfg.d_mlp)


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """The engine's entry point (scripts/engine/artifacts.py)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    model = load_model(params["model"])
    acts = activation_pool(model, params["windows"], params["seed"])
    scale = float((model.cfg.d_mlp / acts.pow(2).sum(-1).mean()).sqrt())
    pool = (acts * scale).to(torch.float16)
    del acts
    mean = pool.float().mean(0)
    (out_dir / "pool.json").write_text(json.dumps({"scale": scale, "tokens": len(pool), "windows": params["windows"],
                                                   "model": params["model"]}, indent=1) + "\n")
    for size in params["sizes"]:
        done = cache_dir / f"sae-{size}.safetensors"
        if not done.exists():
            rng = np.random.default_rng(params["seed"] + size)
            order = torch.from_numpy(rng.permutation(len(pool)))
            batch = params["batch"]

            def batches(step: int, order=order, batch=batch) -> torch.Tensor:
                i = ((step - 1) * batch) % (len(order) - batch + 1)
                return pool[order[i:i + batch]].float()

            t0 = time.perf_counter()
            sae, log = train_sae(batches, model.cfg.d_mlp, size, l1=params["l1"], steps=params["steps"],
                                 lr=params["lr"], seed=params["seed"], init_mean=mean,
                                 resample_at=tuple(params["resample_at"]), progress=f"sae {size}")
            log["seconds"] = round(time.perf_counter() - t0, 1)
            tmp = done.with_suffix(".tmp")
            save_file({k: v.detach().contiguous() for k, v in sae.state_dict().items()}, str(tmp))
            (cache_dir / f"sae-{size}.json").write_text(json.dumps(log) + "\n")
            os.replace(tmp, done)
        shutil.copyfile(done, out_dir / done.name)
        shutil.copyfile(cache_dir / f"sae-{size}.json", out_dir / f"sae-{size}.json")
