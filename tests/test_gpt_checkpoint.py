"""zerohero.gpt.checkpoint: atomic save, checked load, exact restore."""

import os

import pytest
import torch

from zerohero.gpt import checkpoint as ckpt_mod
from zerohero.gpt.checkpoint import (CheckpointError, load_checkpoint, restore, save_checkpoint,
                                     set_rng_state)
from zerohero.gpt.model import GPT, GPTConfig
from zerohero.gpt.text import TextData
from zerohero.gpt.train import TrainConfig, train

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


@pytest.fixture
def trained():
    data = TextData.from_text(TEXT)
    cfg = TrainConfig(batch_size=4, max_iters=6, eval_interval=3, eval_iters=2)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=data.tokenizer.vocab_size, block_size=8, n_embd=16,
                          n_head=2, n_layer=1, dropout=0.1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    state = train(model, optimizer, data, cfg, 8)
    return model, optimizer, cfg, state, data


def test_save_load_gives_identical_logits(tmp_path, trained):
    model, optimizer, cfg, state, data = trained
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, cfg, state, data.tokenizer)
    run = restore(load_checkpoint(path))
    idx = torch.randint(data.tokenizer.vocab_size, (3, 8))
    model.eval(), run.model.eval()
    with torch.no_grad():
        assert torch.equal(model(idx)[0], run.model(idx)[0])
    assert run.state.iter == 6 and run.state.history == state.history
    assert run.train_config == cfg
    assert run.tokenizer == data.tokenizer
    for a, b in zip(optimizer.state_dict()["state"].values(),
                    run.optimizer.state_dict()["state"].values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])


def test_save_is_atomic(tmp_path, trained, monkeypatch):
    model, optimizer, cfg, state, data = trained
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, cfg, state, data.tokenizer)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt_mod.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, optimizer, cfg, state, data.tokenizer)
    assert path.read_bytes() == before  # the old checkpoint is untouched
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # and no temp file is left behind


def test_rng_state_round_trip(tmp_path, trained):
    model, optimizer, cfg, state, data = trained
    torch.manual_seed(5)
    path = save_checkpoint(tmp_path / "c.pt", model, optimizer, cfg, state, data.tokenizer)
    expected = torch.rand(3)
    torch.manual_seed(99)
    set_rng_state(load_checkpoint(path)["rng"])
    assert torch.equal(torch.rand(3), expected)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at .*train first"):
        load_checkpoint(tmp_path / "nope.pt")


def test_garbage_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    path.write_bytes(b"\x00not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_truncated_file(tmp_path, trained):
    model, optimizer, cfg, state, data = trained
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, cfg, state, data.tokenizer)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)


def test_foreign_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match=f"not a {ckpt_mod.FORMAT} checkpoint"):
        load_checkpoint(path)


def test_incomplete_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    torch.save({"format": ckpt_mod.FORMAT, "model": {}}, path)
    with pytest.raises(CheckpointError, match="lacks .*model_config"):
        load_checkpoint(path)


def test_checkpoint_that_does_not_fit_the_model(tmp_path, trained):
    model, optimizer, cfg, state, data = trained
    path = save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, cfg, state, data.tokenizer)
    ckpt = load_checkpoint(path)
    ckpt["model_config"]["n_embd"] = 32
    with pytest.raises(CheckpointError, match="does not fit"):
        restore(ckpt)
