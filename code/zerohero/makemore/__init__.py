"""makemore: character-level language models of names (chapters 2-6).

Shared building blocks live in ``words`` (vocabulary, examples, the
lecture's split) and ``layers`` (the from-scratch, torch.nn-like layers of
chapters 4 and 6).
"""
