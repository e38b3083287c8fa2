"""Button payloads, packed exactly as aiogram's CallbackData factories pack them.

Services build keyboards without importing aiogram; handlers parse the same strings with
`handlers.callbacks`. A test keeps the two in step. Every payload is re-validated against
the database when pressed, so what is packed here is a claim, never an authority.
"""

from __future__ import annotations

SEPARATOR = ":"

# prefix -> field names, in order
ASSIGNMENT = "as"  # action, id
REVIEW = "rv"  # action, id  (report id)
EXTENSION = "ex"  # action, id  (extension request id)
CONFIRM = "cf"  # action, arg
PAGE = "pg"  # kind, arg, page
EVIDENCE = "ev"  # id (report attachment id): send the file to whoever pressed
PLACE = "pl"  # id (unplaced report id), aid: which task a plain message is about
POLICY = "po"  # action (sel | clr), id  — /policies: select a policy
PICK = "pk"  # command, ref, extra  — which policy an ambiguous reference meant
NEW = "nw"  # action, value  — a step of /new (立项)


def pack(prefix: str, *values: object) -> str:
    data = SEPARATOR.join([prefix, *(str(v) for v in values)])
    if len(data.encode()) > 64:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


def button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def keyboard(rows: list[list[dict[str, str]]]) -> dict[str, list[list[dict[str, str]]]]:
    return {"inline_keyboard": rows}


IMPORT = "im"  # action, draft id, arg  (import in chat: a preview and its corrections)
FIX = "fx"  # action, task id, arg  (corrections of a live task)
FLOW = "fl"  # action, value  (a step of the guided report: status, skip, cancel)
