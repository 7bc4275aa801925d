"""``python -m zerohero.makemore``: the makemore command line (appendix
"makemore models")."""

from zerohero.makemore.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
