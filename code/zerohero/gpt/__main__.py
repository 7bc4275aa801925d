"""``python -m zerohero.gpt``: see ``zerohero.gpt.cli``."""

from zerohero.gpt.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
