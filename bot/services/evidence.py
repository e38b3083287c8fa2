"""Evidence sent with reports: kept as Telegram's references with the report,
copied into the office's storage when EVIDENCE_DIR is set, and sent on to a coordinator on request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.services import events
from bot.services.uow import UnitOfWork
from models import OutboxMessage, ProgressReport, ReportAttachment

# Telegram's send method for each kind of file a contact can send.
SEND_METHOD = {
    "document": "sendDocument",
    "photo": "sendPhoto",
    "video": "sendVideo",
    "voice": "sendVoice",
    "audio": "sendAudio",
    "video_note": "sendVideoNote",
    "animation": "sendAnimation",
}


def keep(uow: UnitOfWork, report: ProgressReport, items: list[dict[str, Any]]) -> None:
    """One row per file, with the report (whose id must be known)."""
    for item in items:
        uow.session.add(
            ReportAttachment(
                report_id=report.id or 0,
                kind=item["kind"],
                file_id=item["file_id"],
                file_unique_id=item.get("file_unique_id"),
                file_name=item.get("name"),
                file_size=item.get("size"),
                created_at=uow.now,
            )
        )


# Report ids asked for in one statement: each is a bound parameter, and SQLite allows 32,766 of them.
REPORTS_PER_QUERY = 10_000


async def of_reports(
    uow: UnitOfWork, report_ids: list[int], *, chunk: int = REPORTS_PER_QUERY
) -> dict[int, list[ReportAttachment]]:
    """Each report's files, oldest first, read `chunk` reports at a time (a province's week has more
    reports than one statement may name)."""
    ids = list(dict.fromkeys(report_ids))
    out: dict[int, list[ReportAttachment]] = {}
    for start in range(0, len(ids), chunk):
        rows = await uow.session.scalars(
            select(ReportAttachment)
            .where(col(ReportAttachment.report_id).in_(ids[start : start + chunk]))
            .order_by(col(ReportAttachment.id))
        )
        for row in rows:
            out.setdefault(row.report_id, []).append(row)
    return out


def label(lang: str, kind: str, name: str | None) -> str:
    """How a file is shown in a line of text: "[图片]", "[文件：报告.pdf]"."""
    from bot.i18n import t

    if kind == "document" and name:
        return t(lang, "report.attachment", name=name)
    return (
        t(lang, f"evidence.kind.{kind}")
        if kind in SEND_METHOD
        else t(lang, "report.attachment", name=name or kind)
    )


def send_to(uow: UnitOfWork, attachment: ReportAttachment, chat_id: int, caption: str) -> None:
    """The file itself to a chat, by Telegram's id (no copy needs to pass through the bot)."""
    uow.session.add(
        OutboxMessage(
            chat_id=chat_id,
            method=SEND_METHOD.get(attachment.kind, "sendDocument"),
            text=caption[:1024],
            parse_mode="HTML",
            telegram_file_id=attachment.file_id,
            file_name=attachment.file_name,
            purpose="evidence",
            report_id=attachment.report_id,
            state="pending",
            next_attempt_at=uow.now,
            created_at=uow.now,
        )
    )


def storage_name(attachment: ReportAttachment) -> str:
    """A file name safe on any file system, unique per file (Telegram's unique id first)."""
    name = re.sub(r"[^\w.\-]+", "_", attachment.file_name or attachment.kind)[-80:]
    return f"{attachment.file_unique_id or attachment.id}_{name}"


async def awaiting_download(uow: UnitOfWork, limit: int = 20) -> list[ReportAttachment]:
    return list(
        (
            await uow.session.scalars(
                select(ReportAttachment)
                .where(col(ReportAttachment.stored_path).is_(None))
                .order_by(col(ReportAttachment.id))
                .limit(limit)
            )
        ).all()
    )


def stored(uow: UnitOfWork, attachment: ReportAttachment, path: Path) -> None:
    attachment.stored_path = str(path)
    events.record(
        uow,
        actor="system:evidence",
        kind="evidence.stored",
        entity="attachment",
        entity_id=attachment.id,
        data={"report_id": attachment.report_id, "path": str(path)},
    )
