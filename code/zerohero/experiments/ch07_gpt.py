"""Chapter 7: the bigram baseline, the lecture's milestones, the small GPT
and the exercises."""

from zerohero.experiments import Experiment
from zerohero.gpt import addition, finetune, train
from zerohero.gpt.milestones import STAGES

SHAKESPEARE = ("tinyshakespeare.txt",)

EXPERIMENTS = [
    Experiment("gpt-bigram", train.bigram_baseline, data=SHAKESPEARE),
    # each milestone with the corrected head_size ** -0.5 and the video's
    # n_embd ** -0.5; a single head is as wide as the embedding, so both
    # scales are the same there and it trains once
    *[Experiment(f"gpt-{stage}{suffix}", train.milestone,
                 dict(stage=stage, video_scale=video), data=SHAKESPEARE)
      for stage in STAGES
      for suffix, video in (("", False), ("-video-scale", True))
      if not (stage == "single-head" and video)],
    # exercise 4: input and output embeddings tied, as GPT-2 does
    Experiment("gpt-layernorm-tied", train.milestone,
               dict(stage="layernorm", tie_weights=True), data=SHAKESPEARE),
    # gpt.py's N(0, 0.02) initialisation against PyTorch's defaults
    Experiment("gpt-layernorm-gpt-init", train.milestone,
               dict(stage="layernorm", gpt_init=True), data=SHAKESPEARE),
    Experiment("gpt-small", train.small_gpt, data=SHAKESPEARE),
    Experiment("gpt-finetune-names", finetune.finetune_names,
               data=SHAKESPEARE + ("names.txt",),
               reads={"pretrained": "gpt-small"}),
    Experiment("gpt-addition", addition.train_addition),
]
