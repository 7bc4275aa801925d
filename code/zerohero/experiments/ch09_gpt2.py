"""Chapter 9: GPT-2's recipe at a size a CPU can train, on tiny Shakespeare
in the tokens of chapter 8's tokenizer."""

from zerohero.experiments import Experiment
from zerohero.gpt2 import shakespeare

SHAKESPEARE = ("tinyshakespeare.txt",)

EXPERIMENTS = [
    # the text in chapter 8's tokens, encoded once for both runs
    Experiment("gpt2-shakespeare-tokens", shakespeare.tokenize_shakespeare,
               data=SHAKESPEARE,
               reads={"tokenizer": "tokenizer-shakespeare"}),
    Experiment("gpt2-shakespeare", shakespeare.train_small,
               data=SHAKESPEARE, reads={"tokens": "gpt2-shakespeare-tokens"}),
    # 2 processes (torchrun, gloo) against 1 on the same batches
    Experiment("gpt2-ddp", shakespeare.ddp_vs_single,
               data=SHAKESPEARE, reads={"tokens": "gpt2-shakespeare-tokens"}),
]
