"""Train the model zoo: attention-only transformers with 0–3 layers on the pinned corpus, on a CPU.

    python -m scripts.zoo.train                      # every zoo model that is missing (resumes if interrupted)
    python -m scripts.zoo.train attn-only-2l --fresh # retrain one from scratch

Deterministic on a given machine: seeded initialisation, seeded batch sampling, a fixed thread count. An
interrupted run resumes from its last saved state (`.cache/zoo/<name>/state.pt`, saved every
`SAVE_SECONDS` of wall time)
and continues exactly as if it had not stopped. Checkpoints go to `models/<name>/` atomically; the 2-layer
model also keeps a few intermediate snapshots for the training-dynamics figure. The engine trains the zoo
through `build_artifact` (figures/models.yml; scripts/engine/artifacts.py).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import pathlib
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

from scripts.analysis.induction import (
    icl_score,
    induction_scores,
    per_token_loss,
    previous_token_scores,
    repeat_halves_loss,
    repeated_random_tokens,
)
from scripts.engine.paths import ROOT, atomic_path
from scripts.zoo.corpus import CorpusSpec, corpus_sha256
from scripts.zoo.data import WindowSampler
from scripts.zoo.model import ModelConfig, build_model, save_checkpoint
from scripts.zoo.tokenizer import BOS, encode_corpus, train_tokenizer, wrap_for_bridge

MODELS_DIR = ROOT / "models"
CACHE_DIR = ROOT / ".cache" / "zoo"
# Resumable state is saved this often (wall clock): an interrupt loses at most this much work. Not part of
# TrainConfig: when state is saved changes nothing in the result (resuming is exact: tests/test_zoo.py).
SAVE_SECONDS = 10.0


@dataclass(frozen=True)
class TrainConfig:
    steps: int
    batch_size: int = 32  # 32 x 128 = 4k tokens a step: many optimiser steps per token on 2 cores
    optimizer: str = "adamw"  # "adamw" | "sgd" (momentum 0.9): SGD is rotation-equivariant, a control for Adam
    lr: float = 3e-3  # small models tolerate a high rate; it shortens the plateau before induction
    warmup_steps: int = 200  # linear warm-up: Adam's early steps are noisy
    final_lr_fraction: float = 0.1  # cosine decay to 10 %: a lower final loss without a long tail
    weight_decay: float = 0.01  # light: enough to keep embeddings of rare tokens from drifting
    grad_clip: float = 1.0  # guards the high learning rate against the occasional large step
    repeat_fraction: float = 0.75  # windows in which a span of the text reappears later (in-context repetition)
    random_repeat_fraction: float = 0.1  # sequences of repeated random tokens: no bigram shortcut (data.py)
    seed: int = 0  # initialisation and batch order; the same seed and thread count give the same model
    threads: int = 2  # the machines here have 2 cores; results are reproducible for a fixed count
    eval_every: int = 100  # log held-out loss and head scores this often (they go in meta.json)
    snapshot_steps: tuple[int, ...] = field(default=())  # weights kept for the training-dynamics figure
    corpus: CorpusSpec = CorpusSpec()


# The zoo. Step counts: the 0-layer model only learns bigrams and converges fast; the 2-layer model's phase
# change (induction heads) came at ~1000-1250 steps in our probes, so it trains well past it, and its
# snapshots are densest there. About 12 minutes for all three on 2 cores (README has the measurement).
# figures/models.yml names the same models for the engine, with what only the engine needs (output folder,
# expected minutes, threads); tests/test_artifacts.py checks that the two name the same models.
ZOO: dict[str, tuple[ModelConfig, TrainConfig]] = {
    "attn-only-0l": (ModelConfig(n_layers=0), TrainConfig(steps=1000)),
    "attn-only-1l": (ModelConfig(n_layers=1), TrainConfig(steps=2500)),
    "attn-only-2l": (ModelConfig(n_layers=2), TrainConfig(
        steps=4000, snapshot_steps=(250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000))),
    # Control for the Adam hypothesis of privileged bases: the 2-layer model trained with plain SGD, which
    # treats every direction of the residual stream alike. Not part of the 15-minute budget of the zoo
    # proper (it adds ~7 minutes); lr 0.3 was the better of 0.3 and 1.0 in a 400-step probe.
    "attn-only-2l-sgd": (ModelConfig(n_layers=2), TrainConfig(steps=4000, optimizer="sgd", lr=0.3)),
}
# The sparse-autoencoder note's model (Towards Monosemanticity): one layer with a 512-neuron ReLU MLP, d_model 128
# as the paper's. Natural text only (no synthetic repeats: its MLP features are the object of study, not
# induction). 4,000 steps (16M tokens, 141 ms a step on 2 threads: about 11 minutes undisturbed).
ZOO["mlp-1l"] = (ModelConfig(n_layers=1, d_mlp=512), TrainConfig(steps=4000, repeat_fraction=0.0,
                                                                 random_repeat_fraction=0.0))
ZOO["mlp-1l-seed1"] = (ZOO["mlp-1l"][0], replace(ZOO["mlp-1l"][1], seed=1))  # for comparing features across models

# Replicates: the same recipe with other seeds (initialisation and batch order), so that a circuit claim is a
# claim about the recipe, not one run. Not part of the zoo's time budget (each pair adds ~10 minutes); no
# snapshots (the phase-change figure reads the seed-0 run's).
SEEDS = (1, 2, 3, 4)  # five runs of each recipe: a claim about the recipe rests on 5
for _seed in SEEDS:
    for _layers, _base in ((1, "attn-only-1l"), (2, "attn-only-2l")):
        ZOO[f"{_base}-seed{_seed}"] = (ZOO[_base][0], replace(ZOO[_base][1], seed=_seed, snapshot_steps=()))


def library_versions() -> dict[str, str]:
    return {p: importlib.metadata.version(p) for p in ("torch", "transformer-lens", "tokenizers", "transformers")}


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step <= cfg.warmup_steps:
        return cfg.lr * step / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * (cfg.final_lr_fraction + (1 - cfg.final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * progress)))


def prepare_data(model_cfg: ModelConfig, train_cfg: TrainConfig, cache_dir: pathlib.Path = CACHE_DIR):
    """The corpus hash, the tokenizer (trained once, cached) and the token stream (memmap)."""
    from tokenizers import Tokenizer

    sha = corpus_sha256(train_cfg.corpus)
    tok_path = cache_dir / f"tokenizer-{model_cfg.d_vocab}-{sha[:16]}.json"
    if tok_path.exists():
        tok = Tokenizer.from_file(str(tok_path))
    else:
        tok = train_tokenizer(train_cfg.corpus, model_cfg.d_vocab)
        with atomic_path(tok_path) as tmp:
            tok.save(str(tmp))
    tokens = encode_corpus(tok, train_cfg.corpus, cache_dir)
    return sha, tok, tokens


def evaluate(model, sampler: WindowSampler, d_vocab: int, bos: int) -> dict:
    """Held-out loss, ICL score, and the best previous-token / induction head (layer, head, score)."""
    model.eval()
    text = sampler.held_out(64)
    loss = per_token_loss(model, text)
    rep = repeated_random_tokens(32, min(40, (sampler.n_ctx - 1) // 2), d_vocab, bos, seed=1234)
    first, second = repeat_halves_loss(model, rep)
    out = {"loss": round(loss.mean().item(), 4),
           "icl_score": round(icl_score(loss), 4),
           "repeat_loss_first": round(first, 4), "repeat_loss_second": round(second, 4)}
    if model.cfg.n_layers:
        prev, ind = previous_token_scores(model, text), induction_scores(model, rep)
        for key, scores in (("prev_token", prev), ("induction", ind)):
            layer, head = divmod(int(scores.argmax()), scores.shape[1])
            out[key] = {"head": f"L{layer}H{head}", "score": round(scores.max().item(), 4)}
    model.train()
    return out


def train(name: str, model_cfg: ModelConfig, train_cfg: TrainConfig, *, out_dir: pathlib.Path,
          cache_dir: pathlib.Path = CACHE_DIR, fresh: bool = False, progress: bool = True) -> dict:
    """Train one model and write its checkpoint to `out_dir`. Returns the metadata record."""
    torch.set_num_threads(train_cfg.threads)
    torch.manual_seed(train_cfg.seed)
    # SGD's momentum buffers for unused embedding rows decay as 0.9^k into denormal floats after ~800 steps,
    # which made steps 5x slower here. Flushing them to zero changes nothing measurable; it is limited to
    # SGD so the committed AdamW models retrain bit-identically.
    torch.set_flush_denormal(train_cfg.optimizer == "sgd")
    sha, tok, tokens = prepare_data(model_cfg, train_cfg, cache_dir)
    bos = tok.token_to_id(BOS)
    model = build_model(model_cfg, train_cfg.seed, tokenizer=wrap_for_bridge(tok))
    sampler = WindowSampler(tokens, model_cfg.n_ctx, bos, repeat_fraction=train_cfg.repeat_fraction,
                            random_repeat_fraction=train_cfg.random_repeat_fraction, d_vocab=model_cfg.d_vocab,
                            seed=train_cfg.seed)
    opt = _optimizer(model, train_cfg)
    state_path = cache_dir / name / "state.pt"
    signature = repr((asdict(model_cfg), asdict(train_cfg), sha))
    step, wall, history, recent = (0, 0.0, [], []) if fresh else _resume(state_path, signature, model, opt, sampler)
    snapshots_dir = out_dir / "snapshots"
    if train_cfg.snapshot_steps and step == 0:  # a fresh run: old snapshots would mix two trainings
        shutil.rmtree(snapshots_dir, ignore_errors=True)
    model.train()
    bar = tqdm(total=train_cfg.steps, initial=step, desc=name, unit="step", disable=not progress, file=sys.stderr)
    t0 = last_save = time.perf_counter()
    while step < train_cfg.steps:
        step += 1
        recent = (recent + [_step(model, opt, sampler, step, train_cfg)])[-50:]
        bar.update(1)
        if step % train_cfg.eval_every == 0 or step == train_cfg.steps:
            history.append({"step": step, "tokens": step * train_cfg.batch_size * model_cfg.n_ctx,
                            **evaluate(model, sampler, model_cfg.d_vocab, bos)})
            h = history[-1]
            bar.set_postfix_str(f"loss {h['loss']:.2f}" + (
                f" prev {h['prev_token']['score']:.2f} ind {h['induction']['score']:.2f}" if "induction" in h else ""))
        if step in train_cfg.snapshot_steps:
            with atomic_path(snapshots_dir / f"step-{step:06d}.safetensors") as tmp:
                save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(tmp))
        if time.perf_counter() - last_save >= SAVE_SECONDS and step < train_cfg.steps:
            with atomic_path(state_path) as tmp:
                torch.save({"signature": signature, "model": model.state_dict(), "opt": opt.state_dict(),
                            "sampler": sampler.state(), "torch_rng": torch.get_rng_state(), "step": step,
                            "wall": wall + time.perf_counter() - t0, "history": history, "recent": recent}, tmp)
            last_save = time.perf_counter()
    bar.close()
    model.eval()
    meta = _meta(name, sha, model_cfg, train_cfg, recent, history, wall + time.perf_counter() - t0)
    save_checkpoint(model, model_cfg, out_dir, tokenizer_json=tok.to_str(), meta=meta)
    state_path.unlink(missing_ok=True)
    return meta


def _optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use 'adamw' or 'sgd'")


def _resume(state_path: pathlib.Path, signature: str, model, opt, sampler) -> tuple[int, float, list, list]:
    """Restore a saved run of the same configuration (model, optimiser, sampler, torch's generator) and return
    its (step, wall time, history, recent losses); a fresh start's when there is none."""
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        if state["signature"] == signature:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sampler.set_state(state["sampler"])
            torch.set_rng_state(state["torch_rng"])
            return state["step"], state["wall"], state["history"], state["recent"]
    return 0, 0.0, [], []


def _step(model, opt, sampler: WindowSampler, step: int, cfg: TrainConfig) -> float:
    """One optimiser step at the scheduled learning rate; returns the batch's loss."""
    for group in opt.param_groups:
        group["lr"] = lr_at(step, cfg)
    loss = model(sampler.sample(cfg.batch_size), return_type="loss")
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.item()


def _meta(name: str, sha: str, model_cfg: ModelConfig, train_cfg: TrainConfig, recent: list, history: list,
          wall: float) -> dict:
    """The training record saved as meta.json beside the weights."""
    return {
        "name": name, "corpus_sha256": sha, "corpus_source": "transformers wheel source (see scripts/zoo/corpus.py)",
        "seed": train_cfg.seed, "steps": train_cfg.steps,
        "tokens_seen": train_cfg.steps * train_cfg.batch_size * model_cfg.n_ctx,
        "final_train_loss": round(float(np.mean(recent)), 4), "final_eval": history[-1] if history else {},
        "wall_time_s": round(wall, 1), "threads": train_cfg.threads, "libraries": library_versions(),
        "train_config": {k: v for k, v in asdict(train_cfg).items() if k != "corpus"},
        "corpus": asdict(train_cfg.corpus), "history": history,
    }


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """The engine's entry point: train zoo model `params["name"]` into `out_dir`, with the thread count the
    runner set (declared per model in figures/models.yml)."""
    name = params["name"]
    if name not in ZOO:
        raise ValueError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    model_cfg, train_cfg = ZOO[name]
    train(name, model_cfg, replace(train_cfg, threads=torch.get_num_threads()), out_dir=out_dir, cache_dir=cache_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"zoo models (default: all missing). Known: {', '.join(ZOO)}")
    parser.add_argument("--fresh", action="store_true", help="retrain even if a checkpoint exists; ignore saved state")
    parser.add_argument("--steps", type=int, help="override the number of steps (smoke runs)")
    parser.add_argument("--threads", type=int, help="override the thread count")
    parser.add_argument("--out", type=pathlib.Path, default=MODELS_DIR, help="where checkpoints go")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in ZOO]
    if unknown:
        parser.error(f"unknown zoo model(s) {unknown}; known: {', '.join(ZOO)}")
    names = args.names or [n for n in ZOO if args.fresh or not (args.out / n / "model.safetensors").exists()]
    for name in names:
        model_cfg, train_cfg = ZOO[name]
        if args.steps:
            train_cfg = replace(train_cfg, steps=args.steps, warmup_steps=min(train_cfg.warmup_steps, args.steps),
                                snapshot_steps=tuple(s for s in train_cfg.snapshot_steps if s <= args.steps))
        if args.threads:
            train_cfg = replace(train_cfg, threads=args.threads)
        meta = train(name, model_cfg, train_cfg, out_dir=args.out / name, fresh=args.fresh)
        print(f"{name}: loss {meta['final_eval'].get('loss')} in {meta['wall_time_s']} s, "
              f"{meta['final_eval'].get('prev_token', '')} {meta['final_eval'].get('induction', '')}")
    if not names:
        print("every zoo model is present; use --fresh to retrain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
