"""Evidence: files kept with the report, shown in /task, sent on by a button."""

from __future__ import annotations

from sqlalchemy import select

from models import ReportAttachment
from tests.conftest import Harness
from tests.test_bot_flow import COORD, GONGXIN, YICHUN, assignment_id_of, dispatch_and_find

PDF = b"%PDF-1.4 evidence"
# The smallest PNG header the fake API reads a size from.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


async def test_files_are_kept_listed_and_sent_on(harness: Harness) -> None:
    h = harness
    task = await dispatch_and_find(h)
    aid = assignment_id_of(task)
    h.srv.send_document(YICHUN, "推进会纪要.pdf", PDF, caption="完成60%，附会议纪要", reply_to=task)
    h.srv.send_photo(YICHUN, PNG, reply_to=task)  # no caption
    await h.deliver()
    async with h.app.sessions() as session:
        files = list((await session.scalars(select(ReportAttachment).order_by(ReportAttachment.id))).all())
    assert [(f.kind, f.file_name, f.file_size) for f in files] == [
        ("document", "推进会纪要.pdf", len(PDF)),
        ("photo", "photo.jpg", len(PNG)),
    ]
    assert all(f.file_id and f.file_unique_id for f in files)
    # The coordinator's card shows the photo as a photo, not a blank.
    assert any("[图片]" in s.text for s in h.srv.messages_to(COORD))
    h.srv.command(COORD, f"/task #{aid}")
    await h.deliver()
    detail = h.srv.messages_to(COORD)[-1]
    assert "[图片]" in detail.text and "推进会纪要.pdf" in detail.text
    assert len([x for x in detail.button_texts if x.startswith("📎")]) == 2
    h.srv.press_button(COORD, detail, "推进会纪要.pdf")
    await h.deliver()
    sent = h.srv.messages_to(COORD)[-1]
    assert sent.method == "sendDocument" and sent.get("document_bytes") == PDF
    assert "宜春市人民政府" in (sent.get("caption") or "")
    # Another unit's contact cannot have it sent to them, whatever the button says.
    h.srv.command(GONGXIN, "/tasks")
    await h.deliver()
    before = len(h.srv.messages_to(GONGXIN))
    h.srv.press(GONGXIN, h.srv.messages_to(GONGXIN)[-1], f"ev:{files[0].id}")
    await h.deliver()
    assert len(h.srv.messages_to(GONGXIN)) == before
    assert h.srv.callback_answers[-1].show_alert


async def test_the_ledger_names_the_attachments(harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    from bot.reporting.ledger import write_ledger
    from bot.services.summary import build_summary, week_of

    h = harness
    task = await dispatch_and_find(h)
    h.srv.send_document(YICHUN, "推进会纪要.pdf", PDF, caption="完成60%", reply_to=task)
    h.srv.send_photo(YICHUN, PNG, reply_to=task)
    await h.deliver()
    now = h.app.clock.now()
    async with h.app.work() as uow:
        data = await build_summary(uow, week=week_of(h.app.calendar.local_date(now)))
    assert [r.attachments for r in data.reports] == ["推进会纪要.pdf", "[图片]"]
    path = tmp_path / "ledger.xlsx"
    write_ledger(data, path, lang="zh")
    cells = [
        str(c.value)
        for ws in openpyxl.load_workbook(path).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]
    assert any("附件：推进会纪要.pdf" in c for c in cells) and any("附件：[图片]" in c for c in cells)


async def test_evidence_is_copied_into_the_offices_storage(harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.jobs import Jobs
    from bot.telegram.transport import AiogramTransport

    h = harness
    task = await dispatch_and_find(h)
    h.srv.send_document(YICHUN, "推进会纪要.pdf", PDF, caption="完成60%", reply_to=task)
    await h.deliver()
    jobs = Jobs(h.app)
    transport = AiogramTransport(h.bot)
    assert await jobs.fetch_evidence(transport.download) == 0  # no EVIDENCE_DIR: Telegram's copy only
    h.app.settings.evidence_dir = str(tmp_path / "evidence")
    assert await jobs.fetch_evidence(transport.download) == 1
    async with h.app.sessions() as session:
        row = (await session.scalars(select(ReportAttachment))).one()
    import asyncio
    from pathlib import Path

    assert row.stored_path is not None and await asyncio.to_thread(Path(row.stored_path).read_bytes) == PDF
    assert Path(row.stored_path).is_relative_to(tmp_path / "evidence")
    assert await jobs.fetch_evidence(transport.download) == 0  # nothing twice


async def test_a_voice_and_a_video_reply_are_reports_the_coordinator_can_open(harness: Harness) -> None:
    h = harness
    task = await dispatch_and_find(h)
    aid = assignment_id_of(task)
    h.srv.send_voice(YICHUN, b"OggS-voice-note", duration=7, reply_to=task)  # a voice note has no caption
    h.srv.send_video(YICHUN, b"MP4-site-visit", filename="现场.mp4", caption="现场施工已过半", reply_to=task)
    await h.deliver()
    async with h.app.sessions() as session:
        from models import ProgressReport

        reports = list(
            (
                await session.scalars(
                    select(ProgressReport)
                    .where(ProgressReport.assignment_id == aid)
                    .order_by(ProgressReport.id)
                )
            ).all()
        )
        files = list((await session.scalars(select(ReportAttachment).order_by(ReportAttachment.id))).all())
    # Both are reports of the task, stored verbatim (the voice with no words), each with its file.
    assert [r.raw_text for r in reports] == ["", "现场施工已过半"]
    assert [(f.report_id, f.kind, f.file_size) for f in files] == [
        (reports[0].id, "voice", len(b"OggS-voice-note")),
        (reports[1].id, "video", len(b"MP4-site-visit")),
    ]
    assert files[0].file_id.startswith("AwAC") and files[1].file_name == "现场.mp4"
    # The contact is answered for each; the coordinator's card shows a voice as [语音], not a blank.
    assert any("[语音]" in s.text for s in h.srv.messages_to(COORD))
    h.srv.command(COORD, f"/task #{aid}")
    await h.deliver()
    detail = h.srv.messages_to(COORD)[-1]
    assert "[语音]" in detail.text and "现场施工已过半" in detail.text
    assert len([x for x in detail.button_texts if x.startswith("📎")]) == 2
    # Each opens as what it is: the voice by sendVoice, the video by sendVideo, the same files.
    h.srv.press(COORD, detail, f"ev:{files[0].id}")
    await h.deliver()
    voice = h.srv.messages_to(COORD)[-1]
    assert voice.method == "sendVoice" and voice.file_id == files[0].file_id
    assert voice.message["voice"]["file_id"] == files[0].file_id
    assert "宜春市人民政府" in (voice.caption or "")
    h.srv.press(COORD, detail, f"ev:{files[1].id}")
    await h.deliver()
    video = h.srv.messages_to(COORD)[-1]
    assert (
        video.method == "sendVideo"
        and video.file_id == files[1].file_id
        and "宜春市人民政府" in (video.caption or "")
    )


async def test_the_files_of_more_reports_than_one_query_names(harness: Harness) -> None:
    from bot.services import evidence
    from models import ProgressReport

    h = harness
    aid = assignment_id_of(await dispatch_and_find(h))
    now = h.app.clock.now()
    async with h.app.sessions() as session:
        reports = [ProgressReport(assignment_id=aid, raw_text=f"第{i}次", created_at=now) for i in range(5)]
        session.add_all(reports)
        await session.flush()
        ids = [r.id for r in reports if r.id is not None]
        # report i carries i files; they are added last report first, so id order is not report order
        for i, rid in reversed(list(enumerate(ids))):
            for n in range(i):
                session.add(
                    ReportAttachment(report_id=rid, kind="document", file_id=f"f{i}-{n}", created_at=now)
                )
        await session.commit()
        uow = h.app.unit_of_work(session)
        files = await evidence.of_reports(uow, [*ids, ids[3]], chunk=2)
        assert {rid: [f.file_id for f in fs] for rid, fs in files.items()} == {
            ids[i]: [f"f{i}-{n}" for n in range(i)] for i in range(1, 5)
        }
        assert files == await evidence.of_reports(uow, ids)


async def test_a_file_sent_on_is_queued_at_the_time_of_its_unit_of_work(harness: Harness) -> None:
    from datetime import timedelta

    from bot.services import evidence
    from models import OutboxMessage, ProgressReport

    h = harness
    aid = assignment_id_of(await dispatch_and_find(h))
    later = h.app.clock.now() + timedelta(hours=3)
    async with h.app.sessions() as session:
        report = ProgressReport(assignment_id=aid, raw_text="附照片", created_at=later)
        session.add(report)
        await session.flush()
        uow = h.app.unit_of_work(session, later)
        evidence.keep(uow, report, [{"kind": "photo", "file_id": "ph1", "file_unique_id": "u1"}])
        await session.flush()
        (attachment,) = (await evidence.of_reports(uow, [report.id or 0]))[report.id or 0]
        assert attachment.created_at == later
        evidence.send_to(uow, attachment, COORD, "照片")
        (queued,) = [o for o in session.new if isinstance(o, OutboxMessage)]
    assert (queued.method, queued.telegram_file_id, queued.chat_id) == ("sendPhoto", "ph1", COORD)
    assert queued.next_attempt_at == later and queued.created_at == later
