"""A GPT on tiny Shakespeare, from the bigram baseline to a transformer (chapter 7).

``text``: character tokenizer, train/val split and random batches; ``model``: the bigram baseline
and the GPT (heads, multi-head attention, feed-forward, blocks); ``milestones``: the lecture's
intermediate models; ``train``: the training loop and the book's experiments; ``checkpoint``:
atomic save/load; ``cli``: ``python -m zerohero.gpt train|sample``.
"""
