"""zerohero.gpt.finetune: exercise 3 of chapter 7, pre-training then fine-tuning."""

from zerohero.gpt.finetune import load_names_text
from zerohero.gpt.text import load_shakespeare


def test_names_fit_shakespeares_vocabulary():
    tok = load_shakespeare().tokenizer
    names = load_names_text(tok)
    assert len(names.train) + len(names.val) > 200_000
    assert tok.decode(names.train[:5]) == "emma\n"
