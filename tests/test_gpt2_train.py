"""zerohero.gpt2.train: the schedule, gradient accumulation, and DDP runs
through torchrun against one process."""

import math
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from zerohero.gpt2.data import write_shard
from zerohero.gpt2.model import GPT, GPTConfig
from zerohero.gpt2.train import (TrainConfig, by_device, get_lr, launch,
                                 native_bf16, train)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = GPTConfig(block_size=32, vocab_size=64, n_layer=2, n_head=2, n_embd=32)
MODEL_ARGS = ["--n-layer", 2, "--n-head", 2, "--n-embd", 32,
              "--block-size", 32, "--vocab-size", 64]


def test_learning_rate_warms_up_then_follows_a_cosine():
    cfg = TrainConfig()  # the lecture's: 715 warm-up steps of 19,073
    assert get_lr(0, cfg) == pytest.approx(6e-4 / 715)
    assert get_lr(714, cfg) == pytest.approx(6e-4)
    mid = (715 + 19073) / 2
    assert get_lr(mid, cfg) == pytest.approx((6e-4 + 6e-5) / 2)
    assert get_lr(19073, cfg) == pytest.approx(6e-5)
    assert get_lr(30000, cfg) == 6e-5
    lrs = [get_lr(s, cfg) for s in range(715, 19073, 100)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


def test_switches_go_on_by_device():
    assert native_bf16("cuda") and not native_bf16("mps")
    caps = torch.cpu.get_capabilities()
    native = any(caps.get(k) for k in ("avx512_bf16", "amx_bf16", "bf16"))
    assert native_bf16("cpu") == native
    assert by_device("auto", True) and not by_device("off", True)
    assert by_device("on", False)


def grads(model):
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def test_accumulated_micro_batches_give_the_whole_batch_gradient():
    torch.manual_seed(0)
    model = GPT(TINY)
    data = torch.randint(0, 64, (8, 33))
    x, y = data[:, :-1].contiguous(), data[:, 1:].contiguous()
    k = 4
    model.zero_grad()
    model(x, y)[1].backward()  # one batch of 8 rows
    whole = grads(model)

    def accumulate(scale):
        model.zero_grad()
        for xb, yb in zip(x.chunk(k), y.chunk(k)):
            _, loss = model(xb, yb)
            (loss / k if scale else loss).backward()
        return grads(model)

    # the bug: backward() sums, so unscaled micro-losses give k times the
    # gradient; dividing each micro-loss by k makes the sum the mean
    assert torch.allclose(accumulate(scale=False), k * whole, atol=1e-5)
    assert (accumulate(scale=True) - whole).abs().max().item() < 1e-6


@pytest.fixture
def shards(tmp_path):
    tokens = np.random.default_rng(0).integers(0, 64, 40_000)
    write_shard(tmp_path / "r_val_000000.npy", tokens[:4000])
    write_shard(tmp_path / "r_train_000001.npy", tokens[4000:])
    return tmp_path


def train_args(shards, log_dir, **over):
    opts = {"B": 2, "T": 32, "total-batch-size": 256, "max-steps": 6,
            "warmup-steps": 2, "val-every": 3, "val-steps": 2,
            "checkpoint-every": 6, "device": "cpu", "bf16": "off", **over}
    args = [a for k, v in opts.items()
            for a in ((f"--{k}",) if v is True else (f"--{k}", v))]
    return MODEL_ARGS + args + ["--data-root", shards, "--log-dir", log_dir,
                                "--no-verbose"]


def train_here(shards, log_dir, **over):
    """The run of ``train_args`` in this process."""
    cfg = {"B": 2, "T": 32, "total_batch_size": 256, "max_steps": 6,
           "warmup_steps": 2, "val_every": 3, "val_steps": 2,
           "checkpoint_every": 6, "device": "cpu", "bf16": "off", **over}
    return train(TINY, TrainConfig(data_root=str(shards), log_dir=str(log_dir),
                                   verbose=False, **cfg))


def test_two_ddp_processes_equal_one_process(shards):
    # 2 ranks x 2 micro-steps x 2 rows against 1 rank x 4 micro-steps x 2
    # rows: the same 8 rows a step, summed in another order
    launch(2, train_args(shards, shards / "ddp"))
    train_here(shards, shards / "one")
    ddp = torch.load(shards / "ddp" / "model_00006.pt", weights_only=False)
    one = torch.load(shards / "one" / "model_00006.pt", weights_only=False)
    diff = max((ddp["model"][k] - one["model"][k]).abs().max().item()
               for k in one["model"])
    assert diff < 1e-6
    # the logged training loss is all-reduced: the mean over all 8 rows
    # (the val loss is not compared: each rank reads val_steps batches of
    # its own, so two ranks read twice the validation tokens)
    ddp_train = [r["train"] for r in ddp["log"] if "train" in r]
    one_train = [r["train"] for r in one["log"] if "train" in r]
    assert len(one_train) == 6
    assert max(abs(a - b) for a, b in zip(ddp_train, one_train)) < 1e-5


def test_a_killed_run_resumes_from_its_checkpoint(shards):
    # larger rows so that a step takes a while and the kill lands mid-run
    over = {"B": 8, "T": 32, "max_steps": 40, "checkpoint_every": 4,
            "val_every": 40}
    _, full = train_here(shards, shards / "full", total_batch_size=1024,
                         **over)
    args = train_args(shards, shards / "cut", **{
        k.replace("_", "-"): v for k, v in over.items()},
        **{"total-batch-size": 1024})
    proc = subprocess.Popen([sys.executable, "-m", "zerohero.gpt2.train",
                             *map(str, args)])
    try:
        while not (shards / "cut" / "model_00008.pt").exists():
            assert proc.poll() is None, "the run ended before its kill"
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before its kill"
        proc.kill()
    finally:
        proc.wait()
    assert not (shards / "cut" / "model_00040.pt").exists()
    _, resumed = train_here(shards, shards / "cut", total_batch_size=1024,
                            resume=True, **over)
    assert [r["step"] for r in resumed] == [r["step"] for r in full]
    for a, b in zip(resumed, full):
        key = "train" if "train" in a else "val"
        assert math.isclose(a[key], b[key], abs_tol=1e-6)
