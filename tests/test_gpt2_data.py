"""zerohero.gpt2.data: uint16 shards and the loader's slices per rank."""

import numpy as np
import pytest
import torch

from zerohero.gpt2.data import (DataLoaderLite, load_tokens, main, shard,
                                shard_paths, write_shard)


def write_stream(tmp_path, vocab=300):
    # train shards of 12 * 32 + 1 tokens: each ends where a step of two
    # ranks of 2 x 8 tokens ends (the loader drops a tail that does not
    # fill one step of every rank)
    tokens = np.random.default_rng(0).integers(0, vocab, 200 + 2 * 385)
    write_shard(tmp_path / "t_val_000000.npy", tokens[:200])
    write_shard(tmp_path / "t_train_000001.npy", tokens[200:585])
    write_shard(tmp_path / "t_train_000002.npy", tokens[585:])
    return tokens


def test_shards_are_uint16_and_load_as_long(tmp_path):
    write_shard(tmp_path / "x_train_000000.npy", [0, 1, 65535])
    assert np.load(tmp_path / "x_train_000000.npy").dtype == np.uint16
    t = load_tokens(tmp_path / "x_train_000000.npy")
    assert t.dtype == torch.long and t.tolist() == [0, 1, 65535]
    with pytest.raises(AssertionError):
        write_shard(tmp_path / "y.npy", [65536])


def test_shard_writes_val_first_then_train(tmp_path):
    docs = ["abc", "defgh", "ij"]
    paths = shard(docs, lambda s: [ord(c) for c in s], tmp_path, "toy", 4,
                  eot=0)
    names = [p.name for p in paths]
    assert names == ["toy_val_000000.npy", "toy_train_000001.npy",
                     "toy_train_000002.npy", "toy_train_000003.npy"]
    stream = np.concatenate([np.load(p) for p in paths]).tolist()
    expected = [0, *b"abc", 0, *b"defgh", 0, *b"ij"]
    assert stream == expected
    assert [len(np.load(p)) for p in paths] == [4, 4, 4, 1]  # 13 tokens
    assert shard_paths(tmp_path, "train") == paths[1:]


def test_two_ranks_read_what_one_process_reads(tmp_path):
    write_stream(tmp_path)
    B, T = 2, 8
    one = DataLoaderLite(B, T, 0, 1, "train", tmp_path)
    ranks = [DataLoaderLite(B, T, r, 2, "train", tmp_path) for r in (0, 1)]
    for _ in range(30):  # through both shards and round again
        for r in ranks:
            x, y = r.next_batch()
            x1, y1 = one.next_batch()
            assert torch.equal(x, x1) and torch.equal(y, y1)
            assert torch.equal(x[:, 1:], y[:, :-1])  # targets: shifted by one


def test_loader_state_resumes_the_stream(tmp_path):
    write_stream(tmp_path)
    a = DataLoaderLite(2, 8, 1, 2, "train", tmp_path)
    for _ in range(17):
        a.next_batch()
    b = DataLoaderLite(2, 8, 1, 2, "train", tmp_path)
    b.load_state_dict(a.state_dict())
    for _ in range(10):
        assert torch.equal(a.next_batch()[0], b.next_batch()[0])


def test_the_command_line_shards_text_files(tmp_path):
    tokenizer = pytest.importorskip("zerohero.tokenizer")
    tok = tokenizer.RegexTokenizer()
    tok.train("hello world, hello shards " * 20, 260)
    model = tmp_path / "toy.model"
    tok.save(str(tmp_path / "toy"))
    text = tmp_path / "a.txt"
    text.write_text("hello world " * 50, encoding="utf-8")
    main([str(text), "--tokenizer", str(model), "--out",
          str(tmp_path / "out"), "--shard-size", "64"])
    paths = sorted((tmp_path / "out").glob("*.npy"), key=lambda p: p.stem[-6:])
    assert paths[0].name == "shard_val_000000.npy"
    ids = np.concatenate([np.load(p) for p in paths]).tolist()
    assert tok.decode(ids) == "hello world " * 50
