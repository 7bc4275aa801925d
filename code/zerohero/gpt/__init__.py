"""A GPT on tiny Shakespeare, from the bigram baseline to a transformer.

``text``: character tokenizer, train/val split and random batches;
``model``: the bigram baseline and the GPT (heads, multi-head attention,
feed-forward, blocks); ``milestones``: the lecture's intermediate models;
``train``: the training loop and the runs chapter 7 shows; ``addition``
and ``finetune``: two of its exercises; ``checkpoint`` and ``cli``:
``python -m zerohero.gpt train|sample``.
"""
