"""The one place user text is made safe for Slack mrkdwn.

Slack reads `<…>` as a control sequence (mentions `<@U…>`, broadcasts `<!channel>`/`<!here>`, links
`<https://…|label>`) and `&` starts an entity. Escaping those three characters, as Slack documents,
turns every such sequence into literal text. Free text a person wrote (descriptions, reasons, notes)
goes into plain_text objects instead, where Slack parses no formatting at all.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_mrkdwn(text: object, limit: int | None = None) -> str:
    """`text` as literal mrkdwn; when `limit` is given the escaped result is at most that long."""
    raw = _CONTROL.sub("", str(text))
    escaped = raw.translate(_ESCAPES)
    if limit is None or len(escaped) <= limit:
        return escaped
    # Cut whole characters, never inside an entity such as `&amp;`.
    pieces: list[str] = []
    length = 0
    for char in raw:
        piece = char.translate(_ESCAPES)
        if length + len(piece) > limit - 1:
            break
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces) + "…"
