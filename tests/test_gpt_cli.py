"""zerohero.gpt.cli: train, stop, resume and sample from the command line, on CPU."""

import io
import os
import subprocess
import sys

import pytest
import torch

from zerohero.gpt.checkpoint import load_checkpoint
from zerohero.gpt.cli import main

TEXT = ("ROMEO:\nBut soft, what light through yonder window breaks?\n"
        "JULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n") * 30


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "play.txt"
    path.write_text(TEXT, encoding="utf-8")
    return str(path)


def cli(*argv):
    out = io.StringIO()
    rc = main([str(a) for a in argv], out=out)
    return rc, out.getvalue()


def test_train_checkpoint_resume_sample(tmp_path, text_file):
    out_dir = tmp_path / "run"
    rc, log = cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", out_dir,
                  "--data", text_file, "--max-iters", 6, "--eval-interval", 3)
    assert rc == 0, log
    assert "step 0: train loss" in log and "step 5: train loss" in log
    assert "done at iteration 6" in log and "it/s" in log  # the progress bar is on stdout
    assert load_checkpoint(out_dir / "ckpt.pt")["iter"] == 6

    rc, log = cli("train", "--out-dir", out_dir, "--resume", "--max-iters", 9, "--data",
                  text_file, "--device", "cpu", "--no-progress")
    assert rc == 0, log
    assert "resuming" in log and "done at iteration 9" in log
    assert load_checkpoint(out_dir / "ckpt.pt")["iter"] == 9

    rc, sample = cli("sample", "--out-dir", out_dir, "--num-chars", 40, "--prompt", "ROMEO:",
                     "--top-k", 5, "--temperature", 0.8, "--device", "cpu")
    assert rc == 0
    assert sample.startswith("ROMEO:") and len(sample.rstrip("\n")) >= len("ROMEO:")
    assert len(sample) == len("ROMEO:") + 40 + 1  # the prompt, 40 characters, a newline
    assert set(sample) <= set(TEXT)


def test_stopped_and_resumed_run_equals_an_uninterrupted_one(tmp_path, text_file):
    common = ["--config", "tiny", "--device", "cpu", "--data", text_file, "--max-iters", 12,
              "--eval-interval", 4, "--dropout", 0.1, "--no-progress"]
    # dropout on: the resumed run must also get the global generator's state back
    rc, whole = cli("train", "--out-dir", tmp_path / "a", *common)
    assert rc == 0, whole
    rc, first = cli("train", "--out-dir", tmp_path / "b", *common, "--iters", 5)
    assert rc == 0, first
    assert "stopped at iteration 5" in first
    assert load_checkpoint(tmp_path / "b" / "ckpt.pt")["iter"] == 5
    rc, second = cli("train", "--out-dir", tmp_path / "b", "--resume", "--data", text_file,
                     "--device", "cpu", "--no-progress")
    assert rc == 0, second
    assert "resuming" in second and "at iteration 5 of 12" in second
    a, b = load_checkpoint(tmp_path / "a" / "ckpt.pt"), load_checkpoint(tmp_path / "b" / "ckpt.pt")
    # Exact equality: the same kernels on one thread of this machine in one process; only a
    # different batch, dropout mask, weight or optimizer moment could make the runs differ.
    assert a["iter"] == b["iter"] == 12
    assert a["history"] == b["history"] and len(a["history"]) == 4  # steps 0, 4, 8, 11
    assert eval_lines(first) + eval_lines(second) == eval_lines(whole)
    assert a["model"].keys() == b["model"].keys()
    for name, value in a["model"].items():
        assert torch.equal(value, b["model"][name]), name
    oa, ob = a["optimizer"]["state"], b["optimizer"]["state"]
    assert oa.keys() == ob.keys()
    for i in oa:
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(oa[i][k], ob[i][k]), (i, k)
    assert torch.equal(a["rng"]["cpu"], b["rng"]["cpu"])


def eval_lines(log):
    """The evaluations the command line prints: 'step S: train loss L, val loss V'."""
    return [l for l in log.splitlines() if l.startswith("step ")]


def test_sample_is_reproducible_under_seed(tmp_path, text_file):
    assert cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path,
               "--data", text_file, "--max-iters", 3, "--no-progress")[0] == 0
    sample = ["sample", "--out-dir", tmp_path, "--num-chars", 60, "--device", "cpu"]
    first, again, other = (cli(*sample, "--seed", 7), cli(*sample, "--seed", 7),
                           cli(*sample, "--seed", 8))
    assert first[0] == again[0] == other[0] == 0
    assert first[1] == again[1]
    # 60 characters from a nearly untrained model: two seeds agreeing is not a real risk
    assert first[1] != other[1]


def test_refuses_to_overwrite_a_run(tmp_path, text_file, capsys):
    args = ["train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path, "--data",
            text_file, "--max-iters", 2, "--no-progress"]
    assert cli(*args)[0] == 0
    assert cli(*args)[0] == 2
    assert "exists; pass --resume" in capsys.readouterr().err


def test_resume_without_checkpoint(tmp_path, capsys):
    assert cli("train", "--out-dir", tmp_path, "--resume", "--device", "cpu")[0] == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_sample_from_a_bad_checkpoint(tmp_path, capsys):
    (tmp_path / "ckpt.pt").write_bytes(b"garbage")
    assert cli("sample", "--out-dir", tmp_path, "--device", "cpu")[0] == 2
    assert "not a readable checkpoint" in capsys.readouterr().err


def test_prompt_outside_the_vocabulary(tmp_path, text_file, capsys):
    cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path, "--data",
        text_file, "--max-iters", 1, "--no-progress")
    assert cli("sample", "--out-dir", tmp_path, "--prompt", "Zebra", "--device", "cpu")[0] == 2
    assert "not in the vocabulary" in capsys.readouterr().err


def test_bad_sampling_options(tmp_path, text_file, capsys):
    cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path, "--data",
        text_file, "--max-iters", 1, "--no-progress")
    assert cli("sample", "--out-dir", tmp_path, "--temperature", 0, "--device", "cpu")[0] == 2
    assert "--temperature must be positive" in capsys.readouterr().err
    assert cli("sample", "--out-dir", tmp_path, "--top-k", 0, "--device", "cpu")[0] == 2
    assert "--top-k must be at least 1" in capsys.readouterr().err


def test_text_too_short_for_the_context(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("to be or not to be", encoding="utf-8")
    rc, _ = cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path / "r",
                "--data", path)
    assert rc == 2
    assert "too few for chunks" in capsys.readouterr().err


def test_unknown_config(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--config", "huge", "--out-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_bad_model_override(tmp_path, text_file, capsys):
    rc, _ = cli("train", "--config", "tiny", "--device", "cpu", "--out-dir", tmp_path,
                "--data", text_file, "--n-head", 3)
    assert rc == 2
    assert "multiple of n_head" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_cuda_is_a_clear_error(tmp_path, capsys):
    assert cli("train", "--device", "cuda", "--out-dir", tmp_path)[0] == 2
    assert "not available" in capsys.readouterr().err


def test_module_entry_point_with_default_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.run([sys.executable, "-m", "zerohero.gpt", "train", "--config", "tiny",
                           "--device", "cpu", "--out-dir", str(tmp_path), "--max-iters", "2",
                           "--no-progress"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tiny: ") and "parameters on cpu" in proc.stdout
    assert proc.stderr == ""
