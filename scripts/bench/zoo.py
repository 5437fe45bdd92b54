"""Benchmark the zoo's training step: through the TransformerBridge vs. a plain PyTorch module.

Same architecture (the 2-layer zoo model), same batches, same optimiser; steps interleaved so both see the
same machine load. Prints median step times, tokens/s and the ratio (goal: bridge <= 1.1x plain). Then the
tokens and wall time to the first induction head, read from the committed 2-layer model's training record.
"""

from __future__ import annotations

import copy
import json
import statistics
import time

import torch
import torch.nn.functional as F

from scripts.engine.paths import ROOT
from scripts.zoo.model import build_model
from scripts.zoo.train import ZOO


def step_times(steps: int = 100, warmup: int = 5, threads: int = 2) -> None:
    torch.set_num_threads(threads)
    model_cfg, train_cfg = ZOO["attn-only-2l"]
    bridge = build_model(model_cfg, seed=0)
    from transformer_lens.model_bridge.sources.native import NativeModel

    plain = NativeModel(copy.deepcopy(bridge.cfg))  # the same module, without the bridge's hook wrappers
    wanted = plain.state_dict().keys()  # the bridge also carries a frozen zero unembedding bias
    missing, _ = plain.load_state_dict({k: v for k, v in _native_state(bridge).items() if k in wanted}, strict=False)
    assert not missing, missing
    opt_b = torch.optim.AdamW(bridge.parameters(), lr=1e-4)
    opt_p = torch.optim.AdamW(plain.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    tb, tp = [], []
    for i in range(warmup + steps):
        tokens = torch.randint(0, model_cfg.d_vocab, (train_cfg.batch_size, model_cfg.n_ctx), generator=g)
        for name, fn in (("bridge", lambda t: bridge(t, return_type="loss")),
                         ("plain", lambda t: F.cross_entropy(plain(t)[:, :-1].flatten(0, 1), t[:, 1:].flatten()))):
            opt = opt_b if name == "bridge" else opt_p
            t0 = time.perf_counter()
            loss = fn(tokens)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if i >= warmup:
                (tb if name == "bridge" else tp).append(time.perf_counter() - t0)
    b, p = statistics.median(tb), statistics.median(tp)
    ratios = sorted(x / y for x, y in zip(tb, tp))  # each pair ran back to back: robust to load drift
    q1, med, q3 = ratios[len(ratios) // 4], statistics.median(ratios), ratios[3 * len(ratios) // 4]
    n = train_cfg.batch_size * model_cfg.n_ctx
    print(f"training step (2 layers, batch {train_cfg.batch_size}x{model_cfg.n_ctx}, {threads} threads, "
          f"{steps} pairs): "
          f"bridge {1e3 * b:.1f} ms ({n / b:,.0f} tok/s) vs plain {1e3 * p:.1f} ms ({n / p:,.0f} tok/s); "
          f"per-pair ratio median {med:.3f}x (IQR {q1:.3f}-{q3:.3f}; goal <= 1.1x)")


def _native_state(bridge) -> dict:
    """The bridge's weights under the plain module's parameter names."""
    return {k.replace("_original_component.", ""): v for k, v in bridge.original_model.state_dict().items()}


def first_induction_head() -> None:
    meta_path = ROOT / "models" / "attn-only-2l" / "meta.json"
    meta = json.loads(meta_path.read_text())
    tokens_per_s = meta["tokens_seen"] / meta["wall_time_s"]
    for h in meta["history"]:
        if h.get("induction", {}).get("score", 0) >= 0.4:
            print(f"first induction head (score >= 0.4, {h['induction']['head']}): step {h['step']}, "
                  f"{h['tokens'] / 1e6:.1f}M tokens, ~{h['tokens'] / tokens_per_s:.0f} s of training "
                  f"(whole run: {meta['tokens_seen'] / 1e6:.1f}M tokens in {meta['wall_time_s']:.0f} s)")
            return
    print("no induction head in the recorded history")


if __name__ == "__main__":
    step_times()
    first_induction_head()
