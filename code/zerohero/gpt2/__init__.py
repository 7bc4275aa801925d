"""GPT-2 (124M) as build-nanogpt reproduces it (chapter 9).

``model`` (the GPT with Hugging Face's names), ``data`` (uint16 token
shards and their loader), ``train`` (the training loop, one process or
many through ``torchrun``), ``hellaswag`` (the multiple-choice score) and
``shakespeare`` (the book's runs, at a size a CPU trains).
"""
