"""The makemore command line end to end: every --type trains, checkpoints, resumes and
samples on a small generated word file; every bad input is one line on stderr, a non-zero exit
status and no traceback; checkpoints survive a crash mid-write; the comparison runs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from zerohero.makemore import cli
from zerohero.makemore import models as M
from zerohero.makemore.models import TYPES
from zerohero.build.runs import run
from zerohero.experiments import makemore_models

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"bigram": [], "mlp": ["--n-embd", "4", "--n-hidden", "16"],
         "wavenet": ["--n-embd", "4", "--n-hidden", "8"],
         "rnn": ["--n-embd", "8", "--n-hidden", "8"], "gru": ["--n-embd", "8", "--n-hidden", "8"],
         "transformer": ["--n-embd", "16", "--n-layer", "1", "--n-head", "2"]}


@pytest.fixture
def words_file(tmp_path):
    """40 made-up words (nobody's list), one per line, with an empty line and stray spaces."""
    g = torch.Generator().manual_seed(0)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "an"]
    words = []
    for _ in range(40):
        n = int(torch.randint(1, 4, (1,), generator=g))
        words.append("".join(syllables[int(i)] for i in torch.randint(0, 10, (n,), generator=g)))
    path = tmp_path / "words.txt"
    path.write_text("\n".join(words[:20]) + "\n\n  " + "\n".join(words[20:]) + "\n",
                    encoding="utf-8")
    return path


def makemore(*argv, capsys=None):
    """Run main(argv); returns (exit status, stdout, stderr)."""
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr() if capsys else ("", "")
    return rc, out, err


# --------------------------------------------------------------------------- every type

@pytest.mark.parametrize("type", TYPES)
def test_train_checkpoint_resume_and_sample(type, words_file, tmp_path, capsys):
    work = tmp_path / "out"
    common = ["--input-file", words_file, "--work-dir", work, "--eval-interval", "3",
              "--num-samples", "6"]
    rc, out, err = makemore(*common, "--type", type, "--max-steps", "6", *SMALL[type],
                            capsys=capsys)
    assert rc == 0, err
    assert err == ""
    assert "training:" in out and "loss" in out  # the progress bar, with the loss, on stdout
    assert "best checkpoint: train loss" in out
    assert "6 samples:" in out
    ckpt = torch.load(work / "model.pt", weights_only=True)
    assert ckpt["format"] == cli.FORMAT and ckpt["model"]["type"] == type
    first_step = ckpt["step"]
    # the checkpoint is the last evaluation the log marks as the best so far
    # (evaluations after steps 3 and 6, 0-based 2 and 5)
    saved = [int(l.split()[1].rstrip(":")) for l in eval_lines(out)
             if l.endswith("(best so far, checkpoint saved)")]
    assert [int(l.split()[1].rstrip(":")) for l in eval_lines(out)] == [2, 5]
    assert first_step == saved[-1]

    rc, out, err = makemore(*common, "--resume", "--max-steps", "9", capsys=capsys)
    assert rc == 0, err
    assert f"model: {type}" in out
    # the resumed run goes on after the checkpoint's step: it evaluates only the later
    # steps (a run that ignored the checkpoint would evaluate steps 2 and 5 again)
    resumed = [int(l.split()[1].rstrip(":")) for l in eval_lines(out)]
    assert resumed == [s for s in (2, 5, 8) if s > first_step]
    # equality with an uninterrupted run: test_interrupted_and_resumed_run_equals_...

    rc, out, err = makemore("--work-dir", work, "--sample-only", "--num-samples", "7",
                            "--top-k", "3", "--temperature", "0.8", capsys=capsys)
    assert rc == 0, err
    lines = [l for l in out.splitlines() if l.startswith("  ")]
    assert len(lines) == 7
    assert all(l.split()[0] in ("new", "in") for l in lines)
    assert out.strip().splitlines()[-1].startswith("(")  # the counts by origin


def test_samples_are_marked_by_where_they_occur(words_file, tmp_path, capsys):
    # an MLP that memorises the list: most samples are training words, and marked so
    makemore("-i", words_file, "-o", tmp_path, "--type", "mlp", "--max-steps", "300",
             "--eval-interval", "300", "--learning-rate", "0.03", capsys=capsys)
    rc, out, _ = makemore("-o", tmp_path, "--sample-only", "--num-samples", "30",
                          "--top-k", "1", capsys=capsys)
    data = cli.WordData.from_words(cli.read_words(words_file))
    for line in out.splitlines():
        if line.startswith("  "):
            label, word = line[2:11].strip(), line[12:]
            origin = data.origin(word)
            assert label == {"new": "new"}.get(origin, f"in {origin}"), line


def test_unicode_uppercase_and_punctuation(tmp_path, capsys):
    words = ["Zoë", "Émile", "Jean-Luc", "O.K.", "mary ann", "Ærø", "ŁÓDŹ", "日本", "çà",
             "Ñu", "d'Artagnan", "ß"] * 3
    path = tmp_path / "unicode.txt"
    path.write_text("\n".join(words), encoding="utf-8")
    rc, out, err = makemore("-i", path, "-o", tmp_path / "u", "--type", "gru", "--max-steps", "5",
                            "--eval-interval", "5", "--num-samples", "20", capsys=capsys)
    assert rc == 0, err
    ckpt = torch.load(tmp_path / "u" / "model.pt", weights_only=True)
    assert "." in ckpt["vocab"] and ckpt["boundary"] != "."  # '.' is data here
    assert set(ckpt["vocab"]) == set("".join(words))
    sampled = "".join(l[12:] for l in out.splitlines() if l.startswith("  "))
    assert set(sampled) - {"(", ")", "e", "m", "p", "t", "y"} <= set(ckpt["vocab"])


@pytest.mark.parametrize("n", [1, 2, 5])
def test_tiny_files_train(n, tmp_path, capsys):
    path = tmp_path / "tiny.txt"
    path.write_text("\n".join(["abc", "bcd", "cde", "def", "efg"][:n]), encoding="utf-8")
    rc, out, err = makemore("-i", path, "-o", tmp_path, "--type", "rnn", "--max-steps", "3",
                            capsys=capsys)
    assert rc == 0, err
    if n < 3:
        assert "too few lines for a held-out split" in out


# --------------------------------------------------------------------------- bad input

def one_line_error(rc, out, err, *needles):
    assert rc != 0
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


def test_missing_empty_and_blank_files(tmp_path, capsys):
    one_line_error(*makemore("-i", tmp_path / "nope.txt", capsys=capsys), "no such file")
    (tmp_path / "empty.txt").write_text("")
    one_line_error(*makemore("-i", tmp_path / "empty.txt", capsys=capsys), "the file is empty")
    (tmp_path / "blank.txt").write_text("\n  \n\t\n")
    one_line_error(*makemore("-i", tmp_path / "blank.txt", capsys=capsys), "only empty lines")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00abc\n")
    one_line_error(*makemore("-i", tmp_path / "binary.txt", capsys=capsys), "not UTF-8")
    one_line_error(*makemore(capsys=capsys), "give --input-file")


def test_unknown_type_and_bad_numbers(words_file, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["-i", str(words_file), "--type", "lstm"])
    out, err = capsys.readouterr()
    one_line_error(exit_.value.code, out, err, "invalid choice: 'lstm'")
    for flags, needle in [(["--max-steps", "0"], "--max-steps must be at least 1"),
                          (["--temperature", "-1"], "--temperature must be a positive"),
                          (["--top-k", "0"], "--top-k must be at least 1"),
                          (["--type", "rnn", "--n-layer", "2"], "takes n_embd, n_hidden"),
                          (["--type", "transformer", "--n-embd", "10", "--n-head", "4"],
                           "multiple of n_head"),
                          (["--device", "tpu"], "unknown device 'tpu'"),
                          (["--resume", "--sample-only"], "exclude each other")]:
        one_line_error(*makemore("-i", words_file, *flags, capsys=capsys), needle)


def test_resume_and_sample_without_a_checkpoint(words_file, tmp_path, capsys):
    one_line_error(*makemore("-i", words_file, "-o", tmp_path, "--resume", capsys=capsys),
                   "no checkpoint at")
    one_line_error(*makemore("-o", tmp_path, "--sample-only", capsys=capsys), "no checkpoint at")


def test_incompatible_checkpoints(words_file, tmp_path, capsys):
    work = tmp_path / "w"
    work.mkdir()
    (work / "model.pt").write_bytes(b"not a checkpoint")
    one_line_error(*makemore("-i", words_file, "-o", work, "--resume", capsys=capsys),
                   "not a readable makemore checkpoint")
    torch.save({"something": 1}, work / "model.pt")
    one_line_error(*makemore("-o", work, "--sample-only", capsys=capsys),
                   "not a checkpoint of this makemore")
    torch.save({"format": cli.FORMAT, "model": {}}, work / "model.pt")
    one_line_error(*makemore("-o", work, "--sample-only", capsys=capsys),
                   "incomplete checkpoint (no best_loss, boundary")
    # a real checkpoint ...
    rc, _, err = makemore("-i", words_file, "-o", work, "--type", "rnn", "--n-hidden", "8",
                          "--max-steps", "2", capsys=capsys)
    assert rc == 0, err
    ckpt = torch.load(work / "model.pt", weights_only=True)
    # ... resumed as another type, with other sizes, on another character set
    one_line_error(*makemore("-i", words_file, "-o", work, "--resume", "--type", "gru",
                             capsys=capsys), "holds a 'rnn' model, not 'gru'")
    one_line_error(*makemore("-i", words_file, "-o", work, "--resume", "--n-hidden", "9",
                             capsys=capsys), "trained with n_hidden=8, not 9")
    other = tmp_path / "other.txt"
    other.write_text("xyz\nqqq\n", encoding="utf-8")
    one_line_error(*makemore("-i", other, "-o", work, "--resume", capsys=capsys),
                   "another character set")
    # ... and with a tensor of the wrong shape (an edited or foreign file)
    ckpt["state"]["cell.xh_to_h.weight"] = torch.zeros(3, 3)
    torch.save(ckpt, work / "model.pt")
    one_line_error(*makemore("-o", work, "--sample-only", capsys=capsys), "incompatible")


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "zerohero.makemore", "--input-file",
                           str(tmp_path / "missing.txt")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"makemore: error: {tmp_path / 'missing.txt'}: no such file; give a text file with one "
        f"word per line"]


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for flag in ("--type", "--input-file", "--work-dir", "--max-steps", "--batch-size",
                 "--learning-rate", "--seed", "--device", "--resume", "--sample-only",
                 "--num-samples", "--top-k", "--temperature"):
        assert flag in out


# --------------------------------------------------------------------------- checkpoints

def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    cli.save_checkpoint(path, {"format": cli.FORMAT, "step": 1})

    def crash(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        cli.save_checkpoint(path, {"format": cli.FORMAT, "step": 2})
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left


def test_encode_words_pads_inputs_and_targets():
    vocab = cli.Vocabulary.from_words(["ab", "c"])
    X, Y = cli.encode_words(["ab", "c"], vocab, 4)
    assert X.tolist() == [[0, 1, 2, 0], [0, 3, 0, 0]]
    assert Y.tolist() == [[1, 2, 0, -1], [3, 0, -1, -1]]
    with pytest.raises(ValueError, match="block_size 2 allows 1"):
        cli.encode_words(["ab"], vocab, 2)


def test_default_learning_rates():
    assert cli.default_learning_rate("transformer") == cli.DEFAULT_LR["transformer"]
    assert cli.default_learning_rate("gru") == cli.DEFAULT_LR_OTHERS


def test_split_is_the_lectures(tmp_path):
    from zerohero.makemore.words import load_names, split_words
    words = load_names()
    data = cli.WordData.from_words(words)
    assert [len(data.words[s]) for s in ("train", "val", "test")] == [25_626, 3_203, 3_204]
    assert data.words["val"] == split_words(words)[1]
    assert data.block_size == 16  # the longest name has 15 characters
    # targets: every character and one end token per word, 228,146 in all (chapter 2)
    assert sum(int((d[1] >= 0).sum()) for d in data.tensors.values()) == 228_146


def test_learning_rate_steps_down_for_the_last_quarter():
    rates = [cli.learning_rate_at(s, 100, 0.01) for s in range(100)]
    assert rates[:75] == [0.01] * 75 and rates[75:] == [0.001] * 25


# --------------------------------------------------------------------------- comparison page

@pytest.fixture(scope="module")
def compare():
    return {t: run(f"makemore_{t}") for t in TYPES}


def test_comparison_runs_share_split_and_budget(compare):
    steps = {len(r["losses"]) for r in compare.values()}
    assert steps == {makemore_models.STEPS}
    every = cli.MAKEMORE_PY.eval_interval
    for r in compare.values():
        # makemore.py evaluates after steps 500, 1000, ..., never at step 0
        assert [e["step"] for e in r["evals"]] == list(
            range(every, makemore_models.STEPS, every))
        assert r["test"] == min(e["test"] for e in r["evals"])
        assert r["test"] < math.log(27)  # every model beats guessing uniformly
        assert len(r["samples"]) == 20


@pytest.mark.parametrize("type", TYPES)
def test_runs_give_makemore_pys_numbers(compare, type):
    # makemore.py's own runs on this machine, as the ledger's rows hold them
    from zerohero.build import ledger
    checked = 0
    for key, ours in ((f"test_{type}", compare[type]["test"]),
                      (f"params_{type}", compare[type]["n_params"])):
        try:
            ledger.entry("makemore_models", key)
        except KeyError:
            continue
        ledger.check("makemore_models", key, ours)
        checked += 1
    if not checked:
        pytest.skip(f"the ledger has no makemore_models row for {type} "
                    "(makemore.py has no such model)")


def test_mean_of_batch_means_is_close_to_the_whole_test_set(compare):
    # exercise E02: makemore.py's measure against the loss over all 1,000 words
    for r in compare.values():
        assert abs(r["test"] - r["test_all_words"]) < 0.005


def test_comparison_bigram_cannot_beat_counting(compare, names):
    # The counts of chapter 2 maximise the training likelihood among all bigram
    # models; on the test words they are the bigram's best guess too.
    from zerohero.makemore.bigram import NGramCounts
    from zerohero.makemore.words import Vocabulary, build_examples
    g = torch.Generator().manual_seed(cli.MAKEMORE_PY.seed)
    train, _ = cli.split_like_makemore_py(names, g)
    vocab = Vocabulary.from_words(names)
    counts = NGramCounts.fit(train, vocab, smoothing=0)
    best = counts.nll(*build_examples(train, vocab, 1))
    assert compare["bigram"]["train"] >= best - 0.01  # 1,100 words' estimate


def test_makemore_py_split(names):
    g = torch.Generator().manual_seed(3407)
    train, test = cli.split_like_makemore_py(names, g)
    assert (len(train), len(test)) == (31_033, 1_000)  # as makemore.py prints
    assert sorted(train + test) == sorted(names)
    # torch.manual_seed and a seeded generator draw the same permutation
    torch.manual_seed(3407)
    assert test == [names[i] for i in torch.randperm(len(names)).tolist()[-1000:]]


def test_makemore_py_evaluation_is_its_batches(names):
    # 11 batches of 100 of the training words (the loop breaks after batch
    # 10), all 10 of the 1,000 test words, their means averaged
    model = M.build_model("bigram", 27, 16, generator=torch.Generator())
    X, Y = cli.encode_words(names[:2000], cli.Vocabulary.from_words(names), 16)
    seen = []
    real = model.nll
    model.nll = lambda x, y, **kw: seen.append(len(x)) or real(x, y, **kw)
    loss = cli.evaluate_like_makemore_py(model, X, Y, torch.Generator())
    assert seen == [100] * 11
    assert loss == pytest.approx(math.log(27), abs=1e-5)  # uniform table
    seen.clear()
    cli.evaluate_like_makemore_py(model, X[:1000], Y[:1000], torch.Generator())
    assert seen == [100] * 10


def test_makemore_py_draws_in_its_order(names):
    # The batches come from a generator seeded by the second of two draws
    # after the split and the model's weights: a bigram draws nothing, so
    # its first batch is this one.
    g = torch.Generator().manual_seed(3407)
    train, _ = cli.split_like_makemore_py(names, g)
    cli.draw_seed(g)
    batches = torch.Generator().manual_seed(cli.draw_seed(g))
    first = torch.randint(len(train), (32,), generator=batches)
    torch.manual_seed(3407)
    torch.randperm(len(names))
    sampler = torch.utils.data.RandomSampler(range(len(train)),
                                             replacement=True, num_samples=32)
    loader = torch.utils.data.DataLoader(range(len(train)), sampler=sampler,
                                         batch_size=32)
    assert next(iter(loader)).tolist() == first.tolist()


def test_divergence_is_reported_not_saved(words_file, tmp_path, capsys):
    one_line_error(*makemore("-i", words_file, "-o", tmp_path, "--type", "mlp", "--max-steps",
                             "6", "--eval-interval", "3", "--learning-rate", "1e30",
                             capsys=capsys), "training diverged", "lower --learning-rate")
    assert not (tmp_path / "model.pt").exists()


# --------------------------------------------------------------------------- resume for real

def eval_lines(out):
    """The evaluations the progress bar prints: 'step S: train L, val V ...'."""
    return [l for l in out.splitlines() if l.startswith("step ")]


@pytest.mark.parametrize("type", ["mlp", "transformer"])
def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(type, words_file, tmp_path,
                                                                 capsys, monkeypatch):
    # 20 steps in one go, against 10 steps (checkpoint after step 9), a Ctrl-C as step 10
    # starts, and --resume to 20. Same --max-steps in both: the same learning-rate schedule.
    common = ["--input-file", words_file, "--type", type, "--max-steps", "20",
              "--eval-interval", "10", "--num-samples", "5", *SMALL[type]]
    rc, whole, err = makemore(*common, "--work-dir", tmp_path / "a", capsys=capsys)
    assert rc == 0, err
    a = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    # the last evaluation improved, so the final checkpoint holds the final weights
    assert a["step"] == 19

    rate = cli.learning_rate_at

    def interrupt_at_step_10(step, *args):
        if step == 10:
            raise KeyboardInterrupt
        return rate(step, *args)

    monkeypatch.setattr(cli, "learning_rate_at", interrupt_at_step_10)
    rc, first, err = makemore(*common, "--work-dir", tmp_path / "b", capsys=capsys)
    monkeypatch.undo()
    assert rc == 130 and "interrupted" in first, err
    assert torch.load(tmp_path / "b" / "model.pt", weights_only=True)["step"] == 9
    rc, second, err = makemore(*common, "--work-dir", tmp_path / "b", "--resume",
                               capsys=capsys)
    assert rc == 0, err
    b = torch.load(tmp_path / "b" / "model.pt", weights_only=True)

    # Exact equality: both runs execute the same kernels, one thread, on this machine, so
    # nothing but a different batch, weight or optimizer moment could make them differ.
    assert eval_lines(first) + eval_lines(second) == eval_lines(whole)
    assert len(eval_lines(whole)) == 2
    assert b["step"] == a["step"] and b["best_loss"] == a["best_loss"]
    assert torch.equal(b["generator"], a["generator"])
    assert a["state"].keys() == b["state"].keys()
    for name in a["state"]:
        assert torch.equal(a["state"][name], b["state"][name]), name
    oa, ob = a["optimizer"]["state"], b["optimizer"]["state"]
    assert oa.keys() == ob.keys()
    for i in oa:
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(oa[i][k], ob[i][k]), (i, k)
    # the samples after training come from the same weights and seed
    assert whole.split("best checkpoint:")[1] == second.split("best checkpoint:")[1]


def test_sample_only_is_reproducible_under_seed(words_file, tmp_path, capsys):
    rc, _, err = makemore("-i", words_file, "-o", tmp_path, "--type", "mlp", "--max-steps",
                          "30", "--eval-interval", "30", *SMALL["mlp"], capsys=capsys)
    assert rc == 0, err
    sample = ["-o", tmp_path, "--sample-only", "--num-samples", "20"]
    first = makemore(*sample, "--seed", "7", capsys=capsys)
    again = makemore(*sample, "--seed", "7", capsys=capsys)
    other = makemore(*sample, "--seed", "8", capsys=capsys)
    assert first[0] == again[0] == other[0] == 0
    assert first[1] == again[1]
    # 20 words from a barely trained model: two seeds giving the same 20 is not a real risk
    assert first[1] != other[1]
