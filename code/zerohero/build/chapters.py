"""The book's chapters and the lectures they follow: one place for titles and links.

Read by the book's Sphinx extension (``zerohero.build.book``), which puts the video, the lecture's
original notebook and the reading time under each chapter's title.
"""

from __future__ import annotations

from dataclasses import dataclass

LECTURES = "https://github.com/karpathy/nn-zero-to-hero/blob/master/lectures"


@dataclass(frozen=True)
class Chapter:
    docname: str  # book/<name> without suffix
    lecture: str
    video: str
    original: str  # the lecture's own notebook or script
    code: str = ""  # the lesson modules, relative to code/zerohero/


CHAPTERS = [
    Chapter("00_nn_from_scratch", "prelude to micrograd",
            "https://www.youtube.com/watch?v=VMj-3S1tku0",
            f"{LECTURES}/micrograd/micrograd_lecture_first_half_roughly.ipynb",
            code="scratch.py"),
    Chapter("01_micrograd", "The spelled-out intro to neural networks and backpropagation",
            "https://www.youtube.com/watch?v=VMj-3S1tku0",
            f"{LECTURES}/micrograd/micrograd_lecture_second_half_roughly.ipynb",
            code="micrograd/"),
    Chapter("02_bigrams", "makemore part 1: bigrams",
            "https://www.youtube.com/watch?v=PaCmpygFfXo",
            f"{LECTURES}/makemore/makemore_part1_bigrams.ipynb",
            code="makemore/{words,sampling,bigram}.py"),
    Chapter("03_mlp", "makemore part 2: MLP",
            "https://www.youtube.com/watch?v=TCH_1BHY58I",
            f"{LECTURES}/makemore/makemore_part2_mlp.ipynb",
            code="makemore/mlp.py"),
    Chapter("04_batchnorm", "makemore part 3: activations, gradients, BatchNorm",
            "https://www.youtube.com/watch?v=P6sfmUTpUmc",
            f"{LECTURES}/makemore/makemore_part3_bn.ipynb",
            code="makemore/{layers,batchnorm,diagnostics}.py"),
    Chapter("05_backprop_ninja", "makemore part 4: becoming a backprop ninja",
            "https://www.youtube.com/watch?v=q8SA3rM6ckI",
            f"{LECTURES}/makemore/makemore_part4_backprop.ipynb",
            code="makemore/manual_backprop.py"),
    Chapter("06_wavenet", "makemore part 5: building a WaveNet",
            "https://www.youtube.com/watch?v=t3YJ5hKiMQ0",
            f"{LECTURES}/makemore/makemore_part5_cnn1.ipynb",
            code="makemore/wavenet.py"),
    Chapter("makemore_models", "makemore (the repository)",
            "https://www.youtube.com/watch?v=t3YJ5hKiMQ0",
            "https://github.com/karpathy/makemore/blob/"
            "988aa59e4d8fefa526d06f3b453ad116258398d4/makemore.py",
            code="makemore/{models,cli}.py"),
    Chapter("07_gpt", "Let's build GPT: from scratch, in code, spelled out",
            "https://www.youtube.com/watch?v=kCc8FmEb1nY",
            "https://github.com/karpathy/ng-video-lecture/blob/master/gpt.py",
            code="gpt/"),
    Chapter("08_tokenizer", "Let's build the GPT Tokenizer",
            "https://www.youtube.com/watch?v=zduSFxRajkE",
            "https://github.com/karpathy/minbpe",
            code="tokenizer/"),
    Chapter("09_gpt2", "Let's reproduce GPT-2 (124M)",
            "https://www.youtube.com/watch?v=l8pRSuU81PU",
            "https://github.com/karpathy/build-nanogpt/blob/master/train_gpt2.py",
            code="gpt2/"),
]

BY_NAME = {c.docname: c for c in CHAPTERS}

WORDS_PER_MINUTE = 200
