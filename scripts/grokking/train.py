"""Train the grokking model (Nanda et al., 2023) for one seed: an artifact job of the engine.

    python -m scripts.engine train grokking-seed0   # what an author runs (stale artifacts only, or the ids)
    python -m scripts.grokking.train --seed 0 --out /tmp/g0   # by hand, outside the engine

The paper's setup, unchanged: full batch on 30 % of the pairs, AdamW lr 1e-3, weight decay 1.0, betas
(0.9, 0.98), a 10-step linear warm-up. Training stops at the first logged epoch at which test accuracy has
been 100 % for `settled_epochs` and the sum of squared weights changed by less than `settled_change` over the
last 1,000 epochs (the clean-up is over), or at `max_epochs`. Fixed before the first run.

Every `log_every` epochs the job logs, from the model itself: train and test loss and accuracy, the sum of
squared weights and the embedding's Fourier spectrum; and it keeps the weights in `.cache/grokking/` (not
committed). When training ends it finds the final model's key frequencies and computes the two measures
that need them, restricted and excluded loss, on every kept checkpoint. Outputs (about 3.6 MB): the final
weights, three snapshots, `config.json` and `metrics.json`.

Interrupted, the job resumes from its last state (every `save_every` epochs, and at least every
`SAVE_SECONDS` of wall time, so Ctrl-C loses at most that much) and continues exactly as if it had not
stopped: full-batch training draws no random numbers after initialisation.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from scripts.analysis.fourier import embedding_spectrum, excluded_logits, key_frequencies, loss_on, restricted_logits
from scripts.engine.paths import atomic_path
from scripts.grokking.model import GrokConfig, build_model, fast_logits
from scripts.grokking.task import make_split

# Resumable state is also saved this often (wall clock), whatever `save_every` says: an interrupt loses at
# most this much work. Not in TrainConfig: when state is saved changes nothing in the result.
SAVE_SECONDS = 10.0


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    lr: float = 1e-3
    weight_decay: float = 1.0
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_steps: int = 10
    max_epochs: int = 40_000  # the paper's public code trains 40k epochs
    settled_epochs: int = 3_000  # test accuracy 100 % for this long ...
    settled_change: float = 0.02  # ... and the squared weights moved < 2 % over the last 1,000 epochs
    log_every: int = 100
    save_every: int = 500
    snapshot_epochs: tuple[int, ...] = (1_000, 5_000, 10_000)


def _state_dict(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def _log_row(model, split, epoch: int) -> dict:
    with torch.no_grad():
        logits = fast_logits(model, split.a, split.b).double()
        labels = split.labels
        row = {"epoch": epoch}
        for name, idx in (("train", split.train), ("test", split.test)):
            row[f"{name}_loss"] = float(torch.nn.functional.cross_entropy(logits[idx], labels[idx]))
            row[f"{name}_acc"] = float((logits[idx].argmax(-1) == labels[idx]).double().mean())
        row["weight_sq"] = float(sum((p.double() ** 2).sum() for p in model.original_model.parameters()))
        spectrum = embedding_spectrum(model.original_model.tok_embed.weight[:split.p])
        row["spectrum"] = [round(float(x), 6) for x in spectrum]
    return row


def _trajectory(config: dict) -> dict:
    """What decides the weights at every epoch (and the kept checkpoints): a saved state with the same
    trajectory resumes, whatever the stopping rule or snapshot choice."""
    return {k: v for k, v in config.items()
            if k not in ("max_epochs", "settled_epochs", "settled_change", "snapshot_epochs", "save_every")}


def _settled(log: list[dict], cfg: TrainConfig) -> bool:
    n_acc = cfg.settled_epochs // cfg.log_every + 1
    n_w = 1_000 // cfg.log_every + 1
    if len(log) < max(n_acc, n_w):
        return False
    recent = log[-n_acc:]
    w0, w1 = log[-n_w]["weight_sq"], log[-1]["weight_sq"]
    return all(r["test_acc"] == 1.0 for r in recent) and abs(w1 - w0) / w0 < cfg.settled_change


def train(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path, progress: bool = True) -> dict:
    """Train (or resume) one seed; write its outputs into `out_dir`. Returns the summary in config.json."""
    cfg = TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})
    model_cfg = GrokConfig()
    split = make_split(cfg.seed, model_cfg.p)
    cache = pathlib.Path(cache_dir) / f"seed{cfg.seed}"
    (cache / "ckpt").mkdir(parents=True, exist_ok=True)
    model = build_model(model_cfg, cfg.seed)
    opt = torch.optim.AdamW(model.original_model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            betas=cfg.betas)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / cfg.warmup_steps))
    state_path = cache / "state.pt"
    log: list[dict] = []
    epoch, seconds, done = 0, 0.0, False
    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        if _trajectory(state["config"]) == _trajectory(asdict(cfg)):
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            log, epoch, seconds = state["log"], state["epoch"], state["seconds"]
            done = _settled(log, cfg)  # the stopping rule may have changed (e.g. a later max_epochs)
    if not log:
        log.append(_log_row(model, split, 0))
        save_file(_state_dict(model), str(cache / "ckpt" / "epoch-00000.safetensors"))
    a, b, y = split.a[split.train], split.b[split.train], split.labels[split.train]
    bar = tqdm(total=cfg.max_epochs, initial=epoch, desc=f"grokking seed {cfg.seed}", unit="epoch",
               disable=not progress, file=sys.stderr, mininterval=2)
    t0 = time.perf_counter() - seconds
    last_save = time.perf_counter()
    while not done and epoch < cfg.max_epochs:
        loss = torch.nn.functional.cross_entropy(fast_logits(model, a, b).double(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        epoch += 1
        bar.update()
        if epoch % cfg.log_every == 0:
            log.append(_log_row(model, split, epoch))
            save_file(_state_dict(model), str(cache / "ckpt" / f"epoch-{epoch:05d}.safetensors"))
            bar.set_postfix(train=f"{log[-1]['train_loss']:.2e}", test=f"{log[-1]['test_loss']:.2e}",
                            acc=f"{log[-1]['test_acc']:.3f}")
            done = _settled(log, cfg)
        if (epoch % cfg.save_every == 0 or done or epoch == cfg.max_epochs
                or time.perf_counter() - last_save >= SAVE_SECONDS):
            with atomic_path(state_path) as tmp:
                torch.save({"config": asdict(cfg), "model": _state_dict(model), "opt": opt.state_dict(),
                            "sched": sched.state_dict(), "log": log, "epoch": epoch,
                            "seconds": time.perf_counter() - t0, "done": done}, tmp)
            last_save = time.perf_counter()
    bar.close()
    seconds = time.perf_counter() - t0
    return _finish(model, model_cfg, cfg, split, log, cache, pathlib.Path(out_dir), seconds, epoch)


def _finish(model, model_cfg, cfg, split, log, cache, out_dir, seconds, epoch) -> dict:
    """Key frequencies of the final model; restricted and excluded loss at every kept checkpoint; outputs."""
    p = split.p
    keys = key_frequencies(np.array(log[-1]["spectrum"]))
    probe = build_model(model_cfg, cfg.seed)
    for row in tqdm(log, desc="progress measures", unit="ckpt", file=sys.stderr, mininterval=2):
        probe.load_state_dict(load_file(str(cache / "ckpt" / f"epoch-{row['epoch']:05d}.safetensors")))
        with torch.no_grad():
            logits = fast_logits(probe, split.a, split.b).double().view(p, p, p)
        row["restricted_loss"] = loss_on(restricted_logits(logits, keys), split.test)
        row["excluded_loss"] = loss_on(excluded_logits(logits, keys), split.train)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "snapshots").mkdir(exist_ok=True)
    save_file(_state_dict(model), str(out_dir / "model.safetensors"))
    for e in cfg.snapshot_epochs:
        if e <= epoch:
            save_file(load_file(str(cache / "ckpt" / f"epoch-{e:05d}.safetensors")),
                      str(out_dir / "snapshots" / f"epoch-{e:05d}.safetensors"))
    summary = {"model": model_cfg.as_dict(), "train": asdict(cfg), "epochs": epoch, "key_frequencies": keys,
               "n_train": len(split.train), "n_test": len(split.test), "torch": torch.__version__}
    (out_dir / "config.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps({"log": log}, separators=(",", ":")) + "\n")
    # wall time is a fact about this machine, not about the model: kept beside the outputs, not in them
    (cache / "seconds.json").write_text(json.dumps({"seconds": round(seconds, 1), "epochs": epoch}) + "\n")
    return summary


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """The engine's entry point (scripts/engine/artifacts.py)."""
    train(params, out_dir, cache_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--cache", type=pathlib.Path, default=pathlib.Path(".cache/grokking"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-epochs", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    params = {"seed": args.seed}
    if args.max_epochs:
        params["max_epochs"] = args.max_epochs
    summary = train(params, args.out, args.cache)
    print(json.dumps({k: summary[k] for k in ("epochs", "key_frequencies")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
