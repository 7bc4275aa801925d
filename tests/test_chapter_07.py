"""Chapter 7 (book/07_gpt.md): the numbers it glues against the lecture's.

Expected values are the lecture's printed numbers (the issue, the video and its code) or
independent counts; the chapter's own numbers come from its executed notebook.
"""

from pathlib import Path

import pytest

CHAPTER = "07_gpt"
BOOK = Path(__file__).resolve().parents[1] / "book"


@pytest.fixture(scope="module")
def g(glue):
    return glue(CHAPTER)


def test_front_matter_makes_the_cells_execute():
    head = (BOOK / f"{CHAPTER}.md").read_text(encoding="utf-8").split("---")[1]
    assert "format_name: myst" in head and "name: python3" in head
    assert "execution_timeout" in head


def test_data_numbers(g):
    assert g["n_chars"] == 1_115_394
    assert g["vocab_size"] == 65
    assert g["hii"] == "[46, 47, 47, 1, 58, 46, 43, 56, 43]"
    assert (g["n_train"], g["n_val"]) == (1_003_854, 111_540)


def test_bigram_baseline_matches_the_lecture_to_every_printed_digit(g):
    assert f"{g['bigram_step0_train']:.4f}" == "4.7305"
    assert f"{g['bigram_step0_val']:.4f}" == "4.7241"
    assert g["bigram_last_step"] == 2700
    assert f"{g['bigram_last_train']:.4f}" == "2.4738"
    assert f"{g['bigram_last_val']:.4f}" == "2.4911"


def test_three_ways_to_average_the_past_agree(g):
    assert g["trick_diff"] < 1e-6


def test_scaling_keeps_unit_variance(g):
    assert 8 < g["var_unscaled"] < 32  # about head_size = 16
    assert 0.5 < g["var_scaled"] < 2
    assert g["var_video"] < 0.5  # the video's n_embd scale: about a quarter


def test_sdpa_equals_explicit_attention(g):
    assert g["sdpa_diff"] < 1e-5


@pytest.mark.parametrize("stage,val", [
    # the lecture's printed validation losses (video): single head, multi-head, feed-forward,
    # plain blocks, residual, LayerNorm
    ("single_head", 2.4084), ("multi_head", 2.2858), ("feed_forward", 2.2409),
    ("blocks", 2.3336), ("residual", 2.0822), ("layernorm", 2.0595)])
def test_milestones_within_tolerance_of_the_lecture(g, stage, val):
    assert abs(g[f"ms_{stage}_val"] - val) <= 0.05
    assert abs(g[f"ms_{stage}_video_val"] - val) <= 0.05


def test_milestones_with_the_videos_scale_reproduce_it(g):
    assert f"{g['ms_single_head_video_val']:.4f}" == "2.4084"
    assert f"{g['ms_multi_head_video_val']:.4f}" == "2.2858"


def test_milestones_improve_as_in_the_lecture(g):
    val = {s: g[f"ms_{s}_val"] for s in ("single_head", "multi_head", "feed_forward",
                                           "blocks", "residual", "layernorm")}
    assert val["multi_head"] < val["single_head"]
    assert val["feed_forward"] < val["multi_head"]
    assert val["blocks"] > val["feed_forward"]  # deeper without help trains worse
    assert val["residual"] < val["feed_forward"]
    assert val["layernorm"] < val["feed_forward"]


def test_small_model(g):
    assert g["small_params"] == 209_729
    assert g["small_step"] == 4999
    assert abs(g["small_val"] - 1.8222) <= 0.05  # the lecture notebook's final val
    assert g["small_train"] < g["small_val"]
    assert g["small_tokens_per_s"] > 0


def test_full_model_is_counted_not_trained(g):
    assert g["full_params"] == 10_788_929
    assert g["full_tokens_per_step"] == 64 * 256


def test_figures_and_sample_are_in_the_page(executed):
    nb = executed(CHAPTER)
    images = sum("image/png" in out.get("data", {}) for cell in nb.cells
                 for out in cell.get("outputs", []))
    assert images >= 4  # milestones, loss curves, attention, fine-tuning
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any('print(small["sample"])' in s for s in sources)
    sample = next(out["text"] for c in nb.cells if c.cell_type == "code"
                  and 'print(small["sample"])' in c.source for out in c.outputs
                  if out.get("name") == "stdout")
    assert len(sample.rstrip("\n")) >= 490


def test_exercises(g):
    assert g["ex1_diff"] < 1e-5
    assert g["add_test_acc"] >= 95
    assert g["ft_pretrained"] < g["ft_zero_shot"]
    assert g["ft_verdict"] in ("lower", "not lower")
    assert g["tied_verdict"] in ("helps", "does not help")
    assert g["tied_saved"] == 65 * 32  # the lm_head weight (vocabulary x n_embd) is shared
