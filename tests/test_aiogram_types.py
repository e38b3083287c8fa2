"""The leaves-first build of aiogram's types (bot/aiogram_types.py) applies, and changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.aiogram_types import build_order

ROOT = Path(__file__).resolve().parent.parent

SCHEMAS = """
import hashlib, json, sys, warnings
warnings.simplefilter('ignore')
{setup}
import aiogram
from aiogram import types
import bot.aiogram_types as hook
digest = hashlib.sha256()
for name in sorted(types.__all__):
    model = getattr(types, name)
    if hasattr(model, "model_json_schema"):
        try:
            schema = model.model_json_schema()
        except Exception as exc:  # a few types hold values JSON schema cannot describe
            schema = type(exc).__name__
        digest.update(json.dumps([name, schema], sort_keys=True, default=str).encode())
print(hook.applied, digest.hexdigest())
"""


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_ordered_build_applies_and_builds_the_same_models() -> None:
    hooked = _run(SCHEMAS.format(setup="import bot.aiogram_types as h; assert h.install()"))
    stock = _run(SCHEMAS.format(setup=""))
    # "False" here means this aiogram's types module no longer ends with the loop the hook knows:
    # start-up is slow again until bot/aiogram_types.py learns the new text.
    assert hooked.split()[0] == "True"
    assert stock.split()[0] == "False"
    assert hooked.split()[1] == stock.split()[1]


def test_the_command_line_installs_it_before_aiogram_is_imported() -> None:
    assert _run("import sys, bot.cli; print('aiogram' in sys.modules)") == "False"


def test_build_order_puts_what_is_referred_to_first() -> None:
    references = {
        "Update": {"Message", "CallbackQuery"},
        "CallbackQuery": {"Message", "User"},
        "Message": {"Chat", "User", "Message"},  # a reply quotes a Message
        "Chat": {"Message"},  # Message and Chat refer to each other
        "User": set(),
    }
    order = build_order(references)
    assert sorted(order) == sorted(references)
    position = {name: i for i, name in enumerate(order)}
    assert position["User"] < position["Message"] < position["CallbackQuery"] < position["Update"]
    # In the Message-Chat cycle, Message is referred to twice (by Chat and by itself), Chat once.
    assert position["Message"] < position["Chat"]
