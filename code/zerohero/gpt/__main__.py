"""``python -m zerohero.gpt``: see ``zerohero.gpt.cli`` (chapter 7)."""

from zerohero.gpt.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
