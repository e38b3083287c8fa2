"""The English texts mirror the Chinese ones: same keys, same placeholders, balanced Telegram HTML."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import en, t, zh
from tests.conftest import Harness
from tests.test_bot_flow import YICHUN, dispatch_and_find

ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote"}
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def assert_balanced_html(text: str) -> None:
    stack: list[str] = []
    for closing, tag in TAG.findall(text):
        assert tag in ALLOWED_TAGS, f"tag <{tag}> not allowed"
        if closing:
            assert stack and stack[-1] == tag, f"unbalanced </{tag}>"
            stack.pop()
        else:
            stack.append(tag)
    assert not stack, f"unclosed tags {stack}"


def test_same_keys() -> None:
    assert set(en.TEXTS) == set(zh.TEXTS)


@pytest.mark.parametrize("key", sorted(zh.TEXTS))
def test_same_placeholders(key: str) -> None:
    assert placeholders(en.TEXTS[key]) == placeholders(zh.TEXTS[key])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_balanced(lang: str) -> None:
    texts = zh.TEXTS if lang == "zh" else en.TEXTS
    for key, text in texts.items():
        try:
            assert_balanced_html(text)
        except AssertionError as exc:
            raise AssertionError(f"{lang}:{key}: {exc}") from exc


@pytest.mark.parametrize("key", sorted(zh.TEXTS))
def test_same_html_tags(key: str) -> None:
    assert sorted(TAG.findall(en.TEXTS[key])) == sorted(TAG.findall(zh.TEXTS[key]))


def test_english_formats_with_dummy_values() -> None:
    for key, text in en.TEXTS.items():
        values = {name: f"<{name}>" for name in placeholders(text)}
        out = t("en", key, **values)
        for name in values:
            assert f"<{name}>" in out, key
        assert "{" not in out, key


def test_fallbacks() -> None:
    assert t("xx", "denied") == zh.TEXTS["denied"]
    assert t("xx", "ack.ok", aid=7, task="P1-2.1") == zh.TEXTS["ack.ok"].format(aid=7, task="P1-2.1")
    assert t("en", "no.such.key") == "no.such.key"
    assert t("zh", "no.such.key") == "no.such.key"


async def test_english_on_request(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    h.srv.command(YICHUN, "/lang en")
    await h.deliver()
    assert "English" in h.srv.messages_to(YICHUN)[-1].text
    h.srv.send_text(YICHUN, "完成70%", reply_to=task_msg)
    await h.deliver()
    reply = h.srv.messages_to(YICHUN)[-1]
    assert "70%" in reply.text and "Correct" in reply.button_texts
    h.srv.command(YICHUN, "/help")
    await h.deliver()
    assert "/tasks" in h.srv.messages_to(YICHUN)[-1].text
