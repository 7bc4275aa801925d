"""Token colouring as HTML, as the tiktokenizer web app shows it."""

from __future__ import annotations

import html

PASTELS = ["#fde2a4", "#c6e8c4", "#c9dcf5", "#f6c6d9", "#dcd0f2", "#c4ece8"]


def colour_tokens(pieces) -> str:
    """One coloured span per token piece; spaces shown as ␣ and newlines
    as ⏎ so that where a token starts is visible."""
    spans = []
    for i, piece in enumerate(pieces):
        shown = html.escape(piece).replace(" ", "␣").replace("\n", "⏎<br>")
        spans.append(f'<span style="background:{PASTELS[i % len(PASTELS)]};'
                     f'border-radius:3px;padding:1px 0">{shown}</span>')
    return ('<div style="font-family:monospace;line-height:1.9;'
            'overflow-wrap:anywhere">' + "".join(spans) + "</div>")
