"""Chapters 2 (bigrams) and 3 (MLP): the numbers they glue are the lectures' numbers.

The expected values are those printed by makemore parts 1 and 2, read from the ledger and
checked as its rows promise (exact at the printed digits, or within a tolerance). The chapters
read the cached experiments; so do these tests, which check that the page shows what the
experiments computed.
"""

from __future__ import annotations

import math
import re

import pytest

from conftest import ROOT
from zerohero.build import ledger

BIGRAMS = [e.key for e in ledger.ENTRIES if e.chapter == ledger.BIGRAMS]
MLP = [e.key for e in ledger.ENTRIES if e.chapter == ledger.MLP]


@pytest.fixture(scope="module")
def ch2(glue):
    return glue("02_bigrams")


@pytest.fixture(scope="module")
def ch3(glue):
    return glue("03_mlp")


@pytest.mark.parametrize("key", BIGRAMS)
def test_chapter_2_reproduces_the_lecture(ch2, key):
    value = ch2[key]
    if key == "andrejq_raw":  # glued inf is stored as the text 'inf'
        value = str(value)
    ledger.check(ledger.BIGRAMS, key, value)
    # the comparison table's lecture column comes from the ledger
    assert ch2[f"lecture_{key}"] == ledger.lecture(ledger.BIGRAMS, key)


def test_andrejq_is_infinite_without_smoothing_and_finite_with(ch2):
    assert ch2["andrejq_raw"] in ("inf", math.inf)  # glued inf is stored as the text 'inf'
    assert math.isfinite(ch2["andrejq_smoothed"])
    assert math.isfinite(ch2["andrej_raw"])


def test_chapter_2_shows_the_cached_neural_bigram(trained, ch2):
    result = trained("bigram_nn")
    assert ch2["nn_loss"] == result["final_loss"]
    assert ch2["nn_first_loss"] == result["losses"][0]
    assert ch2["nn_steps"] == 100
    # The trained network approaches the counting model, and cannot beat it.
    assert ch2["nll_raw_exact"] < ch2["nn_nll"] < ch2["nll_raw_exact"] + 0.03


def test_chapter_2_exercises(ch2):
    # E01: the trigram beats the bigram; E02: also on held-out names; E03: tuning the smoothing
    # on dev does at least as well as +1 (which is on the grid); E04/E05: same training.
    assert ch2["e1_trigram_nll"] < ch2["e1_bigram_nll"]
    assert ch2["e2_3gram_dev"] < ch2["e2_2gram_dev"]
    assert ch2["e2_3gram_train"] < ch2["e2_3gram_dev"]
    assert ch2["e3_best_dev"] <= ch2["e2_3gram_dev"] + 1e-6
    # E04 computes the same forward pass and gradients in another way, E05 the same loss: the
    # runs differ by float32 rounding over 100 steps, far below 1e-4.
    nn_loss = ledger.lecture(ledger.BIGRAMS, "nn_loss")
    assert ch2["e4_loss"] == pytest.approx(nn_loss, abs=1e-4)
    assert ch2["e5_loss"] == pytest.approx(nn_loss, abs=1e-4)
    # E02's words: the bigram's dev and test barely differ from its train loss, the
    # trigram's gap is larger; E03: the tuned smoothing beats +1 on test too.
    gap2 = ch2["e2_2gram_dev"] - ch2["e2_2gram_train"]
    gap3 = ch2["e2_3gram_dev"] - ch2["e2_3gram_train"]
    assert abs(gap2) < 0.02 and abs(ch2["e2_2gram_test"] - ch2["e2_2gram_train"]) < 0.02
    assert gap3 > gap2
    assert ch2["e3_test"] < ch2["e2_3gram_test"]
    # E06: the maximum-likelihood chain's expected length is the names' mean length
    # (a known answer, derived in the solution); smoothing moves it.
    assert ch2["e6_raw_mean"] == pytest.approx(ch2["e6_data_mean"], abs=1e-9)
    assert abs(ch2["e6_smoothed_mean"] - ch2["e6_data_mean"]) > 1e-3


def test_chapter_2_loops_and_sentences(ch2):
    # The random network is worse than uniform, as the page says.
    assert ch2["emma_loss"] > ch2["log27"] == pytest.approx(math.log(27))
    # The float32 loop and the float64 mean differ, but only in the 4th-5th digit.
    assert 0 < ch2["nll_loop_vs_exact"] < 1e-3
    assert 0 <= ch2["nn_same_names"] <= 10
    # The stale numbers the notebook printed are shown, and are not ours.
    assert ch2["nb_loglik_stale"] == ledger.printed(ledger.BIGRAMS, "nb_loglik_stale")
    assert ch2["nb_loglik_stale"] != ch2["loglik_raw"]
    assert ch2["nb_descent_loss"] != ch2["nn_loss"]


@pytest.mark.parametrize("key", MLP)
def test_chapter_3_reproduces_the_lecture(ch3, key):
    ledger.check(ledger.MLP, key, ch3[key])
    assert ch3[f"lecture_{key}"] == ledger.lecture(ledger.MLP, key)


def test_chapter_3_split_and_model_sizes(ch3):
    assert ch3["lr_finder_params"] == ch3["h100_params"] == 3481
    assert ch3["h300_params"] == 10281
    assert ch3["emb10_params"] == ch3["n_params"]
    # part 2's notebook printed other split sizes (four shuffles): shown, and not ours
    printed = ledger.printed(ledger.MLP, "part2_splits")
    assert [ch3[f"part2_n_{s}"] for s in ("train", "val", "test")] == list(printed)
    assert list(printed) != [ch3["n_train"], ch3["n_val"], ch3["n_test"]]
    assert ch3["n_examples"] == 228146
    assert ch3["n_contexts"] == 19_683  # 27 x 27 x 27 contexts of three characters


def test_chapter_3_shows_the_cached_final_model(trained, ch3):
    result = trained("mlp")
    assert ch3["train_loss"] == result["train"]
    assert ch3["dev_loss"] == result["val"]
    assert ch3["dev_loss"] < ch3["bigram_dev"]


def test_chapter_3_hidden_layer_then_embedding_story(ch3):
    # The page's sentences: 100 -> 300 hidden units helps a little, 2 -> 10 dimensions of
    # embedding helps more; the small network underfits (train and dev close), the
    # 10-dimensional one is the first whose train loss pulls away from dev.
    assert 0 < ch3["gain_hidden"] < ch3["gain_emb"]
    assert ch3["gain_hidden"] == pytest.approx(ch3["h100_dev"] - ch3["h300_dev"])
    assert abs(ch3["h100_gap"]) < 0.01
    assert ch3["emb10_gap"] > max(ch3["h300_gap"], ch3["h100_gap"])
    # The final model: a small positive gap, so "not yet overfitting much".
    assert 0 < ch3["final_gap"] < 0.1


def test_chapter_3_overfits_one_batch_to_the_floor(ch3):
    assert ch3["overfit_floor"] - 1e-4 <= ch3["overfit_loss"] <= ch3["overfit_floor"] + 0.02


def test_chapter_3_exercises(ch3):
    assert ch3["e1_dev"] < 2.2                                    # E01
    assert ch3["e1_dev"] < ch3["dev_loss"]
    assert ch3["e2_uniform"] == pytest.approx(math.log(27))      # E02: -log(1/27)
    assert ch3["e2_calibrated_init"] == pytest.approx(ch3["e2_uniform"], abs=0.05)
    assert ch3["e2_lecture_init"] > 10
    assert abs(ch3["e3_gain"]) < 0.02                              # "small", as the prose says
    assert ch3["e3_params"] == ch3["e1_params"] + 4 * 10 * 27     # E03: direct connections


@pytest.mark.parametrize("chapter, figures", [("02_bigrams", 5), ("03_mlp", 4)])
def test_chapters_draw_their_figures(executed, chapter, figures):
    # Heatmap, one-hot inputs, loss curve, smoothing sweep, name lengths; Bengio et al.'s
    # network, lr finder, embedding scatter, loss curve.
    images = [out for cell in executed(chapter).cells for out in cell.get("outputs", [])
              if "image/png" in out.get("data", {})]
    assert len(images) >= figures
    for out in images:
        assert len(out["data"]["image/png"]) < 1_500_000, "keep the figures' files small"


def test_chapters_prose_numbers_come_from_glue():
    # No hand-typed decimal result in the prose: numbers with 3+ decimals appear only in code
    # cells (as the lecture's reference constants) or through {glue:text}.
    for chapter in ("02_bigrams", "03_mlp"):
        text = (ROOT / "book" / f"{chapter}.md").read_text(encoding="utf-8")
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        prose = re.sub(r"\{glue:text\}`[^`]*`", "", prose)
        assert not re.findall(r"\d\.\d{3,}", prose), chapter
