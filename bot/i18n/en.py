"""English (on request, per user with /lang en)."""

TEXTS: dict[str, str] = {
    "status.draft": "Draft",
    "status.assigned": "Dispatched",
    "status.acknowledged": "Acknowledged",
    "status.in_progress": "In progress",
    "status.blocked": "Blocked",
    "status.claimed_done": "Reported done",
    "status.done": "Closed",
    "status.returned": "Returned",
    "status.extended": "Extended",
    "status.cancelled": "Cancelled",
    "role.lead": "Lead",
    "role.co": "Cooperating",
    "role.local": "Local",
    "role.support": "Data provider",
    "role.contact": "Contact",
    "role.leader": "Leader in charge",
    "role.observer": "Observer",
    "role.coordinator": "Coordinator",
    "light.red": "🔴",
    "light.yellow": "🟡",
    "light.green": "🟢",
    "light.done": "✅",
    "light.draft": "⚪",
    # onboarding
    "stranger": (
        "Hello! This is the Duban (督办) supervision assistant, for invited units only.\n"
        "To use it, ask a coordinator for an invite link, then open the link or send /start followed by the invite code."
    ),
    "start.coordinator": "Hello, {name}! You are a coordinator (督办人).\nSend /help to see the available commands.",
    "start.contact": (
        "Hello, {name}! You are now linked as {role} for <b>{unit}</b>.\n"
        "Dispatched tasks will arrive here; just reply to a task message to report progress. "
        "Send /tasks to see your unit's tasks."
    ),
    "start.observer": "Hello, {name}! You are registered as an observer and will receive the weekly supervision report.",
    "invite.ok.contact": "Linked: {chat} is now {role} for <b>{unit}</b>.",
    "invite.ok.group": (
        "Linked: this group is now the working group of <b>{unit}</b>. "
        "Members can acknowledge tasks and reply to report progress."
    ),
    "invite.ok.coordinator": "Linked: you are now a coordinator. Send /help to see the commands.",
    "invite.ok.observer": "Linked: you are registered as an observer and will receive the weekly supervision report.",
    "invite.err.unknown": "Invalid invite code. Check the link or ask a coordinator for a new invite.",
    "invite.err.used": "This invite code has already been used; each code works only once. Ask a coordinator for a new invite.",
    "invite.err.expired": "This invite code has expired. Ask a coordinator for a new invite.",
    "invite.err.group_role": (
        "A group can only be linked as a unit's contact group. This invite cannot be used in a group; "
        "please open it in a private chat."
    ),
    "invite.err.needs_unit": "Invites for contacts and leaders in charge must name a unit.",
    "invite.err.throttled": (
        "Too many attempts: please try again in {minutes} min. If the code really is invalid, "
        "ask the coordinator for a new invitation."
    ),
    "invite.err.bad_ttl": "The validity must be between 1 and 8760 hours.",
    "invite.code_lost": (
        "(The invitation code could not be delivered: the bot restarted before sending it. This invitation "
        "is void; send /invite again for a new one.)"
    ),
    "invite.err.bad_role": (
        "Invalid role. Choose from: contact (联络员), leader (分管领导), observer (观察员), coordinator (督办人)."
    ),
    "invite.created": (
        "Invite created ({role}{unit}), valid for {hours} hours, single use:\n{link}\n\nInvite code:\n<code>{code}</code>"
    ),
    "invite.usage": "Usage: /invite unit name [contact|leader|observer]\nor /invite coordinator to invite a new coordinator.",
    "unit.not_found": "Unit “{name}” not found. Send /units to see the unit directory.",
    "coordinator.added": "Coordinator added (Telegram ID {user_id}).",
    "coordinator.exists": "This user is already a coordinator.",
    "coordinator.usage": "Usage: /addcoordinator Telegram user ID",
    "lang.set": "Interface language set to English.",
    "lang.usage": "Usage: /lang zh or /lang en",
    "private_only": (
        "/{command} lists other units' work, so it is answered in a private chat only, never in a group. "
        "Please send /{command} to me in a private chat."
    ),
    "private_only.button": "This listing is shown in a private chat only; please open it there.",
    "denied": "Sorry, you are not allowed to do this.",
    "denied.unit": "Sorry, this task does not belong to your unit.",
    # help
    "help.coordinator": (
        "<b>Coordinator (督办人) commands</b>\n"
        "/policies Policies and items (choose the current one)\n"
        "/new Register an item (leader's instruction, meeting decision, key work)\n"
        "/dispatch P1-2|P1|all Dispatch (交办) tasks\n/board [P1] Supervision board\n"
        "/measure P1-2 Measure details\n/task P1-2.1|#71 Task details\n"
        "/unit unit Unit's tasks\n/overdue Overdue items\n/remind #71|unit Chase (催办) now\n"
        "/extend #71|P1-2.1 date Extension (延期)\n"
        "/close #71 Close (办结)\n/reopen #71 Reopen\n/units Unit directory\n/invite unit [role] Invite\n"
        "/addcoordinator ID Add coordinator\n/followups Chase schedule\n/summary [P1] Weekly report\n"
        "/export [P1] Export ledger\n/lang Language\n"
        "With a policy chosen, its code may be left out: 2.1 is task 2.1 of the current policy."
    ),
    "help.contact": (
        "<b>Guide for contacts (联络员)</b>\n"
        "• When a task arrives, tap “Acknowledge” (签收).\n"
        "• Just reply to the task message to report (报送) progress, e.g. “60% done”, “done”, "
        "“blocked, land use needs coordinating”; files or photos may be attached.\n"
        "• Or tap “Report progress” to fill it in step by step; tap “Request extension” to ask for an extension (延期).\n"
        "• If you edit a report message you already sent, both versions are kept.\n"
        "/tasks Your unit's tasks\n/lang Language"
    ),
    "help.observer": "You are an observer and will receive the weekly supervision report. /lang switches language.",
    # dispatch
    "dispatch.usage": "Usage: /dispatch P1-2 (a measure), /dispatch P1 (a whole policy) or /dispatch all",
    "dispatch.nothing": "No tasks waiting to be dispatched{scope}.",
    "dispatch.preview": (
        "<b>Dispatch preview</b>{scope}\n{tasks} tasks, {assignments} assignments, {units} units:\n{unit_lines}\n\n"
        "Units with no contact linked yet: {unbound}\nConfirm to send now."
    ),
    "dispatch.scope.measure": " (measure {measure})",
    "dispatch.scope.all": " (all)",
    "dispatch.confirm": "✅ Confirm dispatch",
    "dispatch.cancel": "Cancel",
    "dispatch.cancelled": "Dispatch cancelled.",
    "dispatch.done": "Dispatched: {assignments} assignments, {messages} task messages sent.{unbound_note}",
    "dispatch.unbound_note": (
        "\nThese units have no contact yet; their tasks are marked dispatched and can be resent with /remind "
        "once linked: {units}"
    ),
    "task.message": (
        "📌 <b>Dispatched task</b> {task} #{aid}\n<b>{policy}</b>\nMeasure {measure}: {measure_title}\n\n{text}\n\n"
        "Responsible unit: {unit} ({role})\nDeadline: {due}{rhythm}\n\n"
        "Please tap “Acknowledge”; to report progress, reply to this message."
    ),
    "task.no_due": "Not set",
    "task.rhythm": "\nReporting: {rhythm}",
    "btn.ack": "Acknowledge",
    "btn.report": "Report progress",
    "btn.extend": "Request extension",
    "btn.details": "Details",
    "btn.approve": "Approve",
    "btn.return": "Return",
    "btn.fix": "Correct",
    "btn.refuse": "Refuse",
    "btn.agree": "Agree",
    "btn.prev": "◀ Previous",
    "btn.next": "Next ▶",
    "btn.progress": "In progress",
    "btn.done": "Done",
    "btn.blocked": "Blocked",
    "btn.skip": "Skip",
    "rhythm.weekly": "Weekly",
    "rhythm.monthly": "Monthly",
    "rhythm.quarterly": "Quarterly",
    "rhythm.semiannual": "Half-yearly",
    "rhythm.yearly": "Yearly",
    "rhythm.ongoing": "Ongoing",
    # acknowledgement
    "ack.ok": "Task {task} #{aid} acknowledged. To report progress, reply to the task message.",
    "ack.already": "Task #{aid} was already acknowledged.",
    "ack.closed": "Task #{aid} is “{status}”; no acknowledgement needed.",
    "notify.ack": "✅ {unit} acknowledged task #{aid} ({task}).",
    # reports
    "report.saved": (
        "{person}Report received for task {task} #{aid} (report #{rid}).\nUnderstood as: {understood}\n"
        "If this is wrong, tap “Correct”."
    ),
    "report.understood.progress": "In progress{percent}",
    "report.understood.done": "Done, closure requested (awaiting coordinator review)",
    "report.understood.blocked": "Blocked, needs coordination",
    "report.understood.unparsed": "Text report (no progress or status recognised; saved as written)",
    "report.percent": ", {percent}% complete",
    "report.percent_refused": (
        "⚠️ The percentage “{value}” is not between 0 and 100, so no completion figure was recorded. "
        "To update it, reply to the task message again, e.g. “60% done”."
    ),
    "report.fix.choose": "Please choose the correct status:",
    "report.fixed": "Corrected: report #{rid} recorded as “{understood}”.",
    "report.edited": (
        "Edited report saved (report #{rid}; the original #{old} is kept in the history).\nUnderstood as: {understood}"
    ),
    "report.no_task": (
        "Please reply to a task message to report progress, so I know which task it is. "
        "Send /tasks to see your unit's tasks."
    ),
    "report.not_yours": "The task for this message does not belong to your unit.",
    "report.closed": "Task #{aid} is already “{status}”. To add anything, contact the coordinator.",
    "report.empty": "The report is empty. Please describe progress in text; files or photos may be attached.",
    "report.too_long": (
        "Report too long ({length} characters); saved as written as report #{rid}. "
        "Consider shortening it or uploading it as an attachment."
    ),
    "report.attachment": "[Attachment: {name}]",
    "notify.report": "📨 <b>{unit}</b> reported on {task} #{aid}\n{understood}\n“{text}”\nReport #{rid} · {time}",
    "flow.report.status": "Progress report for task #{aid}: please choose the current status.",
    "flow.report.percent": "Enter the percentage complete (0-100), or tap “Skip”.",
    "flow.report.percent_bad": "Please enter a number from 0 to 100, e.g. 60.",
    "flow.report.text": "Please describe progress in text; you may attach one file or photo.",
    "flow.cancelled": "Cancelled.",
    # review
    "review.approved": "Report #{rid} approved.",
    "review.ask_comment": "Enter your comments for returning report #{rid} (they will be sent to {unit}):",
    "review.returned": "Report #{rid} returned; comments sent to {unit}.",
    "review.already": "Report #{rid} was already handled ({state}).",
    "notify.approved": "✅ Your report on task {task} #{aid} (report #{rid}) was approved. {extra}",
    "notify.approved.done": "The task is closed.",
    "notify.returned": (
        "↩️ Your report on task {task} #{aid} (report #{rid}) was returned.\nComments: {comment}\n"
        "Please address them and reply to the task message again."
    ),
    "review.state.approved": "approved",
    "review.state.returned": "returned",
    # extension
    "ext.ask": (
        "Extension request for task #{aid} (current deadline {due}).\n"
        "Send the new deadline and the reason, e.g.:\n<code>2025-12-31 land-use approval still pending</code>"
    ),
    "ext.bad": (
        "Could not read the date. Please send it as “date reason”, the date like 2025-12-31 or 12-31, "
        "e.g. 2025-12-31 land-use approval still pending"
    ),
    "ext.past": "The new deadline must be later than the current one ({due}).",
    "ext.no_reason": "Please also give a reason for the extension.",
    "ext.sent": "Extension request submitted (#{eid}); awaiting coordinator approval.",
    "notify.ext": (
        "⏳ <b>{unit}</b> requests an extension for task {task} #{aid}\n"
        "Current deadline: {old}\nRequested: {new}\nReason: {reason}"
    ),
    "ext.approved": "Extension request #{eid} approved.",
    "ext.refused": "Extension request #{eid} refused.",
    "ext.already": "Extension request #{eid} was already handled ({state}).",
    "notify.ext.approved": "✅ Extension for task {task} #{aid} approved; new deadline {due}.",
    "notify.ext.refused": "❌ Extension for task {task} #{aid} not approved; the deadline remains {due}.",
    # coordinator control
    "board.title": "<b>Supervision board</b>  {date}",
    "board.policy": "\n{light}<b>{code} {title}</b>",
    "board.measure": (
        "{light} Measure {measure} {title}: total {total}, closed {done} 🔴{red} 🟡{yellow} 🟢{green}{draft}"
    ),
    "board.draft": " draft {n}",
    "board.totals": (
        "\nTotal: {total} assignments, {done} closed, {overdue} overdue, 🔴{red} 🟡{yellow} 🟢{green}, {draft} draft"
    ),
    "board.empty": "The ledger is empty. Import a policy first (duban import).",
    "measure.not_found": "Measure {measure} not found.",
    "measure.header": "<b>Measure {measure} {title}</b>\n",
    "measure.task": "\n<b>{task}</b> {text}",
    "measure.assignment": "  {light} #{aid} {unit} ({role}) {status}{percent}",
    "task.not_found": "Task/assignment #{aid} not found.",
    "task.detail": (
        "<b>{task} #{aid}</b> {light} {status}{percent}\nMeasure {measure}: {measure_title}\n\n{text}\n\n"
        "Responsible unit: {unit} ({role})\nDeadline: {due}\nAcknowledged: {acked}\nLast report: {last_report}\n"
        "Reminders sent: {reminders}"
    ),
    "task.detail.report": "\n· {time} {text}",
    "task.detail.reports": "\n\n<b>Reports</b>",
    "unit.header": "Tasks of <b>{unit}</b> ({count})",
    "unit.row": "{light} {task} #{aid} {status}{due} {text}",
    "unit.due": " due {due}",
    "units.row": "{name}{alias} — {count} tasks, {contacts} contacts",
    "overdue.header": "<b>Overdue items</b> ({count})",
    "overdue.none": "Nothing is overdue at the moment.",
    "overdue.row": "🔴 {task} #{aid} {unit} due {due} ({days} days overdue) {status}",
    "mytasks.none": "Your unit has no dispatched tasks yet.",
    "mytasks.header": "<b>Your unit's tasks</b> ({count})",
    "remind.usage": "Usage: /remind #71 (assignment), /remind P1-2.1 (task), /remind P1-2 (measure) or /remind unit name",
    "remind.sent": "Chased: {count} assignments, {messages} messages.",
    "remind.none": "Nothing needs chasing.",
    "remind.message": (
        "⏰ <b>Reminder</b> task {task} #{aid}\nMeasure {measure}: {text}\nDeadline: {due}\nCurrent status: {status}\n"
        "Please acknowledge and reply to this message with a progress report as soon as possible."
    ),
    "extend.usage": "Usage: /extend #12 2025-12-31 (one assignment) or /extend P1-2 12-31 (every open assignment of a measure, task or policy, after you confirm)",
    "extend.ok": "Deadline of task #{aid} changed to {due}.",
    "close.usage": "Usage: /close #71 (an assignment, with #)",
    "close.ok": "Task #{aid} closed.",
    "reopen.usage": "Usage: /reopen #71 (an assignment, with #)",
    "reopen.ok": "Task #{aid} reopened.",
    "transition.bad": "Task #{aid} is currently “{status}”; this action is not possible.",
    "notify.extended": "📅 The deadline of task {task} #{aid} is now {due}.",
    "notify.closed": "✅ Task {task} #{aid} was closed by the coordinator.",
    "notify.reopened": "🔄 Task {task} #{aid} was reopened by the coordinator; please continue and report progress.",
    # follow-ups
    "followup.ack_reminder": (
        "⏰ <b>Acknowledgement reminder</b> Task {task} #{aid} has been dispatched but not yet acknowledged.\n"
        "Measure {measure}: {text}\nDeadline: {due}\n"
        "Please tap “Acknowledge”, and reply to this message to report progress."
    ),
    "followup.ack_escalation": (
        "⚠️ <b>Supervision notice</b> Task {task} #{aid} of {unit} is still not acknowledged "
        "after dispatch.\n{text}\nDeadline: {due}"
    ),
    "followup.progress_request": (
        "📝 <b>Progress report due</b> Task {task} #{aid} ({period})\nMeasure {measure}: {text}\nDeadline: {due}\n"
        "Please <b>reply to this message</b> to report progress for this period, e.g. “60% done, site selected”, "
        "“done”, “blocked, land use needs coordinating”; files or photos may be attached."
    ),
    "followup.deadline_warning": (
        "📅 <b>Deadline approaching</b> Task {task} #{aid} is due in {days} working days ({due}).\n"
        "Measure {measure}: {text}\nCurrent status: {status}\n"
        "Please reply to this message to report progress; to ask for more time, tap “Request extension”."
    ),
    "followup.overdue_reminder": (
        "🔴 <b>Reminder</b> Task {task} #{aid} is overdue (deadline {due}, {days} working days overdue).\n"
        "Measure {measure}: {text}\nCurrent status: {status}\n"
        "Please reply to this message with a progress report or request an extension as soon as possible."
    ),
    "followup.overdue_escalation": (
        "🚨 <b>Overdue escalation</b> Task {task} #{aid} of {unit} is {days} working days overdue "
        "(deadline {due}); current status: {status}.\n{text}"
    ),
    "followups.header": "<b>Chase schedule</b> ({total} pending, {shown} shown)",
    "followups.none": "No chases pending at the moment.",
    "followups.row": "{when} #{aid} {unit} · {kind}",
    "followup.kind.ack_reminder": "Ack reminder",
    "followup.kind.ack_escalation": "Unacknowledged",
    "followup.kind.progress_request": "Progress request",
    "followup.kind.deadline_warning": "Deadline warning",
    "followup.kind.overdue_reminder": "Overdue chase",
    "followup.kind.overdue_escalation": "Overdue escalation",
    "page.footer": "Page {page}/{pages}",
    # robustness
    "odd.sticker": "Got your sticker 🙂 To report progress, reply to the task message in text.",
    "odd.empty": "No text received. To report progress, reply to the task message in text.",
    "odd.unknown_command": "Unknown command. Send /help to see the available commands.",
    "odd.private_only": "To protect information, please do this in a private chat with me.",
    "button.stale": "This button has expired; please use the buttons on the latest message.",
    "button.forged": "Invalid action.",
    "button.done": "Done.",
    "error.generic": (
        "Sorry, something went wrong: your message was not processed and not saved. "
        "Please send it again later or contact the coordinator."
    ),
    "number.bad": "The number must be numeric, e.g. /task 12.",
    "date.unreasonable": "That date is out of the plausible range (from a year ago to ten years ahead); please check it and send it again.",
    "date.bad": "That is not a date I can read. Please write a calendar date such as 2025-12-31, 2025/12/31, 2025年12月31日, 12-31 or 12月31日.",
    "blocked_notice": (
        "⚠️ The contact of {unit} ({name}) has blocked the bot; messages cannot be delivered, so sending is paused. "
        "It resumes when they write again, and the task messages they missed are sent again."
    ),
    "undeliverable_notice": "⚠️ A message to {whom}{task} could not be delivered; Telegram refused it: {error}\nIt read: {excerpt}",
    "paused.back": "Welcome back. While the bot was blocked, {count} message(s) could not be delivered to you. {resent}",
    "paused.resent": "The {n} task message(s) among them follow now; to report progress, reply to a task message.",
    "undeliverable_notice.task": " (task #{aid})",
    "followup.escalation_header": "🚨 <b>Attention</b>: {count} item(s) need your attention",
    "digest.header": "📬 <b>Reports awaiting review</b> ({count})",
    "digest.row": "<b>#{rid}</b> {unit} · task {task} #{aid} · {understood}\n“{text}”",
    "summary.usage": "Usage: /summary or /summary 2026-W48",
    "summary.bad_week": "The week should look like 2026-W48.",
    "summary.queued": "The weekly summary ({week}) is being prepared and sent.",
    # weekly summary (bot.reporting.weekly → html / docx; summary.sep also joins names in the ledger)
    "summary.caption.ledger": "Ledger",
    "summary.caption.docx": "Weekly report (editable, printable)",
    "summary.title": "Weekly progress report (week {n}, {year})",
    "summary.subtitle": "Implementation of {title}{doc}",
    "summary.quoted": "“{title}”",
    "summary.subtitle_many": "Implementation of {n} policies",
    "summary.doc": " ({doc})",
    "summary.period": "Period: {start} to {end} · generated {when} ({zone})",
    "summary.section.overview": "1. Overview",
    "summary.section.progress": "2. Main progress",
    "summary.section.problems": "3. Problems",
    "summary.section.next": "4. Next steps",
    "summary.tasks": "{tasks} tasks, handed to units {total} times: {done} done, {in_progress} in progress, {na} not acknowledged, {overdue} overdue.",
    "summary.lights": "Lights: {green} green, {yellow} yellow, {red} red (per unit).",
    "summary.rate": "Unit reporting rate {rate} ({reported} of {units} units reported); {n} reports this week.",
    "summary.silent": "Did not report: {units}.",
    "summary.partial": "Reported on some tasks only: {units}.",
    "summary.unit_rate": "{unit} ({rate})",
    "summary.all_reported": "Every unit reported.",
    "summary.change": "Since last week ({prev}): done {done}, red {red}, overdue {overdue}, reports {reports}, reporting rate {rate}.",
    "summary.change_none": "No previous week to compare with.",
    "summary.pp": " pts",
    "summary.policy_line": "{title}{doc}: {tasks} tasks, handed to units {total} times, {done} done, {red} red, {yellow} yellow.",
    "summary.policy_head": "({n}) {title}{doc}",
    "summary.measure": "{num}. {title} ({done}/{total} done{lights})",
    "summary.light_n.red": ", {n} red",
    "summary.light_n.yellow": ", {n} yellow",
    "summary.light_n.green": ", {n} green",
    "summary.progress_item": "{units}: {text}{pct}",
    "summary.pct": " ({n}%)",
    "summary.ref": " [ledger {refs}]",
    "summary.refs_more": "{first} and {n} in all",
    "summary.quiet_measures": "No substantive progress reported this week: {measures}.",
    "summary.no_progress": "No substantive progress reported this week.",
    "summary.quiet_policies": "No substantive progress this week: {titles}.",
    "summary.policies_more": "{units} and others ({n} policies)",
    "summary.units_more": "{units} and others ({n} units)",
    "summary.problems_total": "{red} red assignments in {tasks} tasks:",
    "summary.problem": "{text}{due}: {units} ({reasons})",
    "summary.reason.overdue": "{n} overdue",
    "summary.reason.blocked": "{n} blocked",
    "summary.reason.silent": "{n} silent",
    "summary.no_problems": "No red items this week.",
    "summary.next_total": "Due next week ({start} to {end}): {n} assignments in {tasks} tasks:",
    "summary.next_item": "{d} {text}: {units}",
    "summary.no_next": "Nothing falls due next week.",
    "summary.due": " (due {d})",
    "summary.no_due": " (no due date)",
    "summary.more": "… {n} more, see the ledger.",
    "summary.more_progress": "… {n} more progress lines, see the ledger.",
    "summary.more_policies": "… {n} more policies, see the ledger.",
    "summary.footer": "Details in the attached ledger (Excel) and report (Word).",
    "summary.none": "None",
    "summary.sep": ", ",
    "summary.date_weekday": "{date} ({weekday})",
    # how the bot read a report (ledger cells; bot.reporting.model)
    "summary.claim.progress": "in progress",
    "summary.claim.done": "claims done",
    "summary.claim.blocked": "blocked",
    "summary.claim.none": "not understood",
    # names of the lights and of report review states (ledger cells; bot.reporting.model)
    "summary.light.red": "red",
    "summary.light.yellow": "yellow",
    "summary.light.green": "green",
    "summary.light.done": "done",
    "summary.review.none": "not required",
    "summary.review.pending": "pending",
    "summary.review.approved": "approved",
    "summary.review.accepted": "approved",
    "summary.review.returned": "returned",
    # weekday names (dates in the summary and the unit digest)
    "weekday.mon": "Mon",
    "weekday.tue": "Tue",
    "weekday.wed": "Wed",
    "weekday.thu": "Thu",
    "weekday.fri": "Fri",
    "weekday.sat": "Sat",
    "weekday.sun": "Sun",
    # a unit's weekly digest of its open tasks (bot.reporting.html)
    "unit_digest.title": "📌 {unit} · open tasks",
    "unit_digest.asof": "As of {d}: {open} open, of which {overdue} overdue, {awaiting} awaiting you, {soon} due within {days} days",
    "unit_digest.overdue": "Overdue",
    "unit_digest.awaiting": "Awaiting acknowledgement / action",
    "unit_digest.soon": "Due soon (within {days} days)",
    "unit_digest.other": "Other open tasks",
    "unit_digest.item": "{emoji} <b>{label}</b> ({role}) {text}{due} · {status}",
    "unit_digest.overdue_days": " ({n} days overdue)",
    "unit_digest.in_days": " (in {n} days)",
    "unit_digest.today": " (today)",
    "unit_digest.none": "No open tasks for your unit.",
    "unit_digest.hint": "Reply to this message to report progress.",
    # weekly summary chart (bot.reporting.chart)
    "chart.title": "Weekly summary {week} ({start} to {end})",
    "chart.measures": "Lights by measure (assignments)",
    "chart.more": " ({n} more measures in the ledger)",
    "chart.units": "Units below 100% reporting rate (%)",
    "chart.units_more": " ({n} more units in the ledger)",
    "chart.all_full": "Every unit reported at 100% ({n} units)",
    "chart.done_of": "{done}/{total} done",
    "chart.green": "green",
    "chart.yellow": "yellow",
    "chart.red": "red",
    "chart.reported": "partly reported",
    "chart.silent": "did not report",
    "chart.empty": "no data",
    # ledger workbook (bot.reporting.ledger): sheets, column headers, overview rows
    "ledger.title": "Duban ledger {week}",
    "ledger.footer": "Page &P of &N",
    "ledger.sheet.overview": "Overview",
    "ledger.sheet.measures": "Measures",
    "ledger.sheet.assignments": "Assignments",
    "ledger.sheet.reports": "Reports",
    "ledger.sheet.units": "Units",
    "ledger.col.overview.item": "Item",
    "ledger.col.overview.value": "Value",
    "ledger.col.measures.policy": "Policy",
    "ledger.col.measures.measure": "Measure",
    "ledger.col.measures.title": "Title",
    "ledger.col.measures.tasks": "Tasks",
    "ledger.col.measures.done": "Done",
    "ledger.col.measures.red": "Red",
    "ledger.col.measures.yellow": "Yellow",
    "ledger.col.measures.green": "Green",
    "ledger.col.measures.done_rate": "Done %",
    "ledger.col.measures.light": "Light",
    "ledger.col.assignments.measure": "Ref",
    "ledger.col.assignments.task_seq": "Task #",
    "ledger.col.assignments.task": "Task",
    "ledger.col.assignments.unit": "Unit",
    "ledger.col.assignments.role": "Role",
    "ledger.col.assignments.due": "Due",
    "ledger.col.assignments.status": "Status",
    "ledger.col.assignments.light": "Light",
    "ledger.col.assignments.last_report_at": "Last report",
    "ledger.col.assignments.last_report_text": "Last report text",
    "ledger.col.assignments.reminders": "Reminders",
    "ledger.col.assignments.policy": "Policy",
    "ledger.col.assignments.assignment_id": "Assignment ID",
    "ledger.col.reports.ref": "No.",
    "ledger.col.reports.report_id": "Report ID",
    "ledger.col.reports.reported_at": "Reported at",
    "ledger.col.reports.unit": "Unit",
    "ledger.col.reports.measure": "Ref",
    "ledger.col.reports.task_seq": "Task #",
    "ledger.col.reports.author": "Author",
    "ledger.col.reports.claimed_status": "Claimed status",
    "ledger.col.reports.percent": "Progress (%)",
    "ledger.col.reports.text": "Text",
    "ledger.col.reports.review": "Review",
    "ledger.col.reports.assignment_id": "Assignment ID",
    "ledger.col.units.unit": "Unit",
    "ledger.col.units.tasks": "Tasks",
    "ledger.col.units.expected": "Expected reports",
    "ledger.col.units.reports": "Reports",
    "ledger.col.units.rate": "Reporting rate",
    "ledger.col.units.reported": "Reported",
    "ledger.col.units.red": "Red",
    "ledger.col.units.overdue": "Overdue",
    "ledger.row.policy": "Policy",
    "ledger.row.tasks": "Tasks",
    "ledger.row.week": "Week",
    "ledger.row.start": "Period start",
    "ledger.row.end": "Period end",
    "ledger.row.generated": "Generated ({zone})",
    "ledger.row.total": "Assignments (task × unit)",
    "ledger.row.done": "Done",
    "ledger.row.in_progress": "In progress",
    "ledger.row.na": "Not acknowledged",
    "ledger.row.overdue": "Overdue",
    "ledger.row.red": "Red",
    "ledger.row.yellow": "Yellow",
    "ledger.row.green": "Green",
    "ledger.row.reports": "Reports this period",
    "ledger.row.rate": "Unit reporting rate",
    "ledger.row.silent": "Units that did not report",
    "ledger.row.prev": "Compared with week",
    "ledger.row.d_done": "Change: done",
    "ledger.row.d_red": "Change: red",
    "ledger.row.d_overdue": "Change: overdue",
    "ledger.row.d_reports": "Change: reports",
    "ledger.row.d_rate": "Change: reporting rate",
    "ledger.yes": "yes",
    "ledger.no": "no",
    # import in chat and corrections
    "import.none": "none",
    "import.no_due": "not set",
    "import.task": "<b>{label}</b> {text}\n　lead: {lead} | co: {co} | due: {due} | rhythm: {rhythm}",
    "import.measure": "\n<b>{label} {title}</b>",
    "import.header": "📥 <b>Import preview</b>: {title} ({doc})\n{measures} measures, {tasks} tasks. Nothing is saved before you confirm.",
    "import.same": "This is the same as policy {code}, already imported; use /fix to correct it.",
    "import.revision": "This is a revised version of policy {code}; confirming applies these changes:",
    "import.warning": "⚠ {text}",
    "import.review": "⚠ Units under review (not in the directory): {units}",
    "import.no_due_warning": "⚠ {count} tasks have no deadline.",
    "import.footer": "Page {page}/{pages} · preview valid until {expires}",
    "import.btn.review": "Review: {unit}",
    "import.btn.confirm": "✅ Confirm import",
    "import.btn.cancel": "✖ Abandon",
    "import.btn.back": "↩ Back to preview",
    "import.btn.accept": "Accept as new unit",
    "import.btn.map": "Map to existing unit",
    "import.review.ask": "“{unit}” is not in the directory: accept it as a new unit, or map it to an existing one?",
    "import.nothing": "No measures or tasks were found in this document; please check its content.",
    "import.bad_kind": "“{name}” is not a supported file. Send a .docx, .txt, .pdf or .html file, or paste the text.",
    "import.too_big": "The file is too large (limit {mb} MB).",
    "import.failed": "Import failed: {reason}",
    "import.ask_text": 'Paste the document"s full text in your next message (/cancel to stop).',
    "import.expired": "This import preview has expired (not confirmed within 24 hours); please send the file again.",
    "import.closed": "This import preview was already confirmed or abandoned.",
    "import.no_task": "Task {ref} not found.",
    "import.saved": "Imported policy {code}: {measures} measures, {tasks} tasks, {assignments} assignments (drafts; hand out with /dispatch).",
    "import.applied": "Applied the revised version to policy {code}:",
    "import.cancelled": "Import abandoned.",
    "fix.btn.lead": "Lead unit",
    "fix.btn.co": "Co units",
    "fix.btn.text": "Text",
    "fix.btn.due": "Deadline",
    "fix.btn.rhythm": "Rhythm",
    "fix.btn.split": "Split",
    "fix.btn.merge": "Merge",
    "fix.btn.drop": "Drop",
    "fix.split.ask": "Split after which sentence? Press a button, or send the text of the first task:",
    "fix.split.after": "After #{n}",
    "fix.merge.none": "There is no other task in this measure to merge.",
    "fix.merge.ask": "Which task should be merged into this one?",
    "fix.units.done": "Done",
    "fix.units.now": "Chosen: {units}\nPress a unit to choose or unchoose it, then “Done”.",
    "fix.units.no_match": 'No unit"s name contains these characters; try another spelling.',
    "fix.units.ask": 'Now: {units}\nSend part of a unit"s name or short name to search.',
    "fix.done": "Changed.",
    "fix.ask.text": "Send the new text of task {ref}:",
    "fix.ask.due": "Send the deadline of {ref} (e.g. 2026-06-30; “none” clears it):",
    "fix.ask.rhythm": "Choose the reporting rhythm of task {ref}:",
    "fix.bad_rhythm": "Unknown reporting rhythm.",
    "fix.split_bad": 'Cannot split there: choose the end of a sentence, or send the first part of the task"s text.',
    "fix.merge_bad": "Only two different tasks of the same measure can be merged.",
    "date.past": 'A deadline cannot be before today ({today}). Please send today"s date or a later one.',
    "help.import": "\n<b>Import and corrections</b>\nSend a .docx/.txt/.pdf/.html file or /import and paste the text: preview first, saved on confirm\n/fix task correct a task (units, text, deadline, rhythm, split, merge, drop)\n/due task|measure|all date set a deadline",
    "fix.no_task": "Task {ref} not found (a task is written like 2.1, an assignment like #71).",
    "fix.ambiguous": "“{ref}” exists in several policies; choose one:",
    "fix.empty": "The text cannot be empty.",
    "fix.menu": "🛠 <b>Correct task</b> (the units concerned are told)",
    "fix.usage": "Usage: /fix task (e.g. /fix 2.1 or /fix #71) opens the correction menu; /fix unit name resolves a unit under review.",
    "fix.review.list": "\nUnits under review: {units}",
    "fix.result": "Task {label} corrected; the units concerned were told ({messages} messages).",
    "fix.result.lost": "No longer responsible: {units}",
    "fix.result.gained": "Newly responsible: {units}",
    "fix.drop.ask": "Drop task {label}? Its assignments are cancelled and the units told.",
    "fix.drop.yes": "Drop it",
    "fix.notify.lost": "ℹ️ The coordinator corrected the division of work: task {label} (#{aid}) is no longer your unit's and has been cancelled.\n{text}",
    "fix.notify.role": "ℹ️ Your unit's role in task {label} (#{aid}) changed from “{before}” to “{after}”.",
    "fix.notify.text": "ℹ️ The coordinator corrected the text of task {label} (#{aid}); the corrected task follows.",
    "fix.notify.due": "📅 The coordinator moved the deadline of task {label} (#{aid}) to {due}.",
    "fix.notify.rhythm": "ℹ️ The reporting rhythm of task {label} (#{aid}) is now: {rhythm}.",
    "due.usage": "Usage: /due task|measure|policy date, e.g. /due 2.1 2026-06-30, /due 2 2026-06-30 (a whole measure), /due P1 2026-12-31 (a whole policy).",
    "due.done": "Set the deadline of {count} tasks to {due}; the units concerned were told ({messages} messages).",
    "dispatch.no_due": "\n⚠ {count} of these tasks have no deadline (set one with /due).",
    "fix.btn.open": "🛠 Correct task",
    "import.btn.due_all": "📅 Deadline for all",
    "import.btn.due_measure": "📅 Deadline of measure {measure}",
    "import.scope.all": "all tasks",
    "import.scope.measure": "all tasks of measure {measure}",
    # ---- plain reports, evidence, batched notices, true lights, leaders
    "plain.which": "Your unit has {count} open tasks. Which one is this update about? (Your text is saved.)",
    "plain.choice": "{task} {text}",
    "plain.placed": "Update recorded on task #{aid}.",
    "plain.already": "This update is already recorded on a task.",
    "plain.none": "Your unit has no open tasks at the moment. Send /tasks to see your unit's tasks.",
    "light.undelivered": "⚫",
    "summary.light.undelivered": "undelivered",
    "summary.light_n.undelivered": ", {n} undelivered",
    "summary.undelivered": "{n} undelivered: these units have no contact the bot can reach, so the task never arrived.",
    "chart.undelivered": "undelivered",
    "ledger.row.undelivered": "Undelivered",
    "board.undelivered": " ⚫undelivered {n}",
    "status.undelivered": "Undelivered",
    "followup.undelivered": "⚫ <b>Undelivered</b>: {unit} has no contact (or all its contacts stopped receiving); task {task} #{aid} cannot reach it.\n{text}\nInvite a contact with /invite.",
    "help.leader": (
        "<b>For the unit's leader</b>\n"
        "• Escalations for your unit's tasks (not acknowledged, overdue) are sent to you.\n"
        "• You receive your unit's weekly digest.\n"
        "/board your unit's board (read-only)\n/tasks your unit's tasks\n/task ID task details\n/lang language"
    ),
    "leader.board.header": "<b>{unit}: board</b> (read-only)\n{total} tasks: {lights}",
    "leader.board.empty": "{unit} has no dispatched tasks yet.",
    "remind.progress": "⏰ <b>Reminder</b> task {task} #{aid}\nMeasure {measure}: {text}\nDue: {due}\nStatus: {status}\nPlease reply to this message with your latest progress; files and photos welcome.",
    "remind.overdue": "🔴 <b>Overdue</b> task {task} #{aid} passed its deadline ({due}).\nMeasure {measure}: {text}\nStatus: {status}\nPlease reply with your progress or request an extension.",
    "notify.ack.person": "✅ {unit} ({person}) acknowledged task #{aid} ({task}).",
    "ack.ok.person": "{person} acknowledged task {task} #{aid} for the unit.",
    "review.card.approved": "\n\n✅ <b>Approved</b> · {who} · {time}",
    "review.card.returned": "\n\n↩️ <b>Returned</b> · {who} · {time}\nComment: {comment}",
    "batch.report_notice": "📨 <b>{unit}</b>: {count} reports in a short while; please review each:",
    "batch.ack_notice": "✅ {count} acknowledgements:",
    "evidence.kind.photo": "[photo]",
    "evidence.kind.video": "[video]",
    "evidence.kind.voice": "[voice]",
    "evidence.kind.audio": "[audio]",
    "evidence.kind.video_note": "[video message]",
    "evidence.kind.animation": "[animation]",
    "evidence.kind.document": "[file]",
    "evidence.caption": "{unit} · task #{aid} · report #{rid} · {time}",
    "ledger.attachments": "Attachments: ",
    # policies side by side, references, ad-hoc items
    "ref.which": "“{ref}” exists in {count} policies. Which one did you mean? (You can also type it with the code, e.g. {examples}.)",
    "ref.not_found": "{ref} not found. /policies lists the policies' codes; a measure is written P1-2, a task P1-2.1, an assignment #71.",
    "ref.assignment_hint": "“{ref}” is a measure number. Write an assignment as #71 and a task as P1-2.1.",
    "ref.ambiguous": "Measure {ref} exists in several policies; give the policy's code, e.g. P1-{ref}.",
    "dispatch.scope.policy": " ({code})",
    "board.narrowed": "  {code} only",
    "measure.usage": "Usage: /measure measure ref, e.g. /measure P1-2 (or /measure 2 with a policy selected)",
    "task.usage": "Usage: /task task or assignment ref, e.g. /task P1-2.1 or /task #71",
    "task.header": "<b>Task {task}</b>",
    "extend.confirm": "This moves the deadline of {count} open assignments of <b>{ref}</b> ({units}) to {due}. Confirm?",
    "extend.none": "{ref} has no open assignments to extend.",
    "extend.bulk_done": "{ref}: the deadline of {count} assignments is now {due}.",
    "btn.confirm": "✅ Confirm",
    "policies.none": "No policies or ad-hoc items yet. Import a file or register one with /new.",
    "policies.header": "<b>Policies and items</b> ({count})",
    "policies.row": "{light} <b>{code}</b> {title}{doc} · {kind}\n    tasks {tasks}, assignments {assignments}, closed {done}, to dispatch {draft}{selected}",
    "policies.selected_mark": " ✓ selected",
    "policies.hint": "Press a code to select that policy: measure and task numbers without a code (2, 2.1) are then read within it.",
    "policies.clear": "Clear selection",
    "policies.chosen": "Selected <b>{code}</b> {title}. Measure and task numbers without a code are read within it.",
    "policies.cleared": "No policy is selected now.",
    "policy.kind.document": "document",
    "policy.kind.instruction": "leader's instruction",
    "policy.kind.meeting": "meeting decision",
    "policy.kind.key_work": "key work",
    "policy.kind.other": "other",
    "new.ask.kind": "<b>New item</b>: choose its kind.",
    "new.ask.title": "Kind: {kind}. Send the item's <b>title</b> (one line).",
    "new.ask.text": "Send the item's <b>text</b> (what is required; it becomes the task's text).",
    "new.ask.lead": "Send the <b>lead unit(s)</b> by name or short name, several separated by 、 or commas. Press “Done” when finished.",
    "new.ask.co": "Send the <b>co-operating units</b> (optional), or press “Skip”.",
    "new.ask.due": "Send the <b>deadline</b>, e.g. 2026-03-31 or 3-31.",
    "new.ask.rhythm": "Choose the <b>reporting rhythm</b>.",
    "new.units.lead": "Lead units: {units}\nSend more names to add, or press “Done”.",
    "new.units.co": "Co-operating units: {units}\nSend more names to add, or press “Done”.",
    "new.units.choose": "“{name}” matches several units; choose one:",
    "new.err.unit": "“{name}” is not in the unit directory. Similar units: {suggestions}. Try the full or short name; /units lists the directory.",
    "new.err.kind": "Please choose the kind with the buttons.",
    "new.err.title": "The title must not be empty and at most {limit} characters.",
    "new.err.text": "The text must not be empty and at most {limit} characters.",
    "new.err.no_lead": "Choose at least one lead unit.",
    "new.err.no_due": "Please give a deadline.",
    "new.err.past": "The deadline {date} has passed (today is {today}).",
    "new.err.rhythm": "The rhythm is weekly, monthly, quarterly or none.",
    "new.summary": (
        "<b>Confirm the new item</b>\nKind: {kind}\nTitle: {title}\nText: {text}\nLead: {lead}\nCo-operating: {co}\n"
        "Deadline: {due}\nReporting: {rhythm}\n\nOn confirm it is registered (you see a dispatch preview next)."
    ),
    "new.created": "Registered <b>{code}</b> {title}: {assignments} assignments to dispatch. Its task is {code}-1.1.",
    "new.cancelled": "New item cancelled.",
    "new.btn.cancel": "Cancel",
    "new.btn.skip": "Skip",
    "new.btn.done": "Done",
    "new.btn.no_rhythm": "None",
    # Failed updates parked and replayed (bot/telegram/polling.py)
    "error.saved": (
        "Sorry, something went wrong while reading this; your message has been saved and the coordinator "
        "will look at it. Please try again later or contact the coordinator."
    ),
    "error.parked": (
        "Sorry, something went wrong. Your message has been kept as it is and will be processed "
        "automatically once the system recovers; no need to send it again."
    ),
    "parked_notice": (
        "⚠️ {count} messages could not be processed during a fault and were kept as they were "
        "(from: {whom}). {handled} of them have been processed now."
    ),
    "parked_notice.left": "\n{left} still could not be processed; they are kept in the server file {where}. Please contact the administrator.",
    # The summary on demand, built in the background (issue 10 item 5)
    "summary.generating": "Preparing the weekly summary…",
    "export.generating": "Preparing the ledger…",
    # The command menu (setMyCommands), one description per command (issue 13: the workspace's commands)
    "cmd.start": "Start / redeem an invitation",
    "cmd.help": "Help",
    "cmd.tasks": "My unit's tasks",
    "cmd.task": "Task details",
    "cmd.policies": "Policies and items",
    "cmd.new": "Register an item",
    "cmd.import": "Import a policy document",
    "cmd.fix": "Correct a task",
    "cmd.due": "Set a deadline",
    "cmd.board": "Board",
    "cmd.dispatch": "Dispatch tasks",
    "cmd.measure": "Measure",
    "cmd.unit": "A unit's tasks",
    "cmd.overdue": "Overdue items",
    "cmd.remind": "Chase now",
    "cmd.extend": "Extend a deadline",
    "cmd.close": "Close a task",
    "cmd.reopen": "Reopen a task",
    "cmd.units": "Unit directory",
    "cmd.invite": "Invite",
    "cmd.followups": "Scheduled follow-ups",
    "cmd.summary": "Weekly summary",
    "cmd.export": "Export the ledger",
    "cmd.lang": "Language / 语言",
    # A week by hand (issue 14): a group's confirmation names who wrote; a file without words is a file
    "report.by": "{name}: ",
    "report.understood.evidence": "{kind} received without a note (kept; open it from the task's details)",
    # Escalations: the units of one task no message reaches, told once (issue 14, a week by hand)
    "followup.undelivered_many": "⚫ <b>Undelivered</b>: for task {task}, {units} have no contact (or all their contacts stopped receiving); the task cannot reach them.\n{text}\nInvite their contacts with /invite.",
    "sep.list": ", ",
    # A dispatch handed out in the background (issue 10 item 5, perf10)
    "dispatch.started": "Dispatching {assignments} assignments; you will be told when it is done.",
    "dispatch.running": "These tasks are being dispatched already; you will be told when it is done.",
    # Texts out of the handlers (issue 10 item 3, texts6b): a revision's changes, the dry run, buttons
    "diff.none": "Both versions have the same measures, tasks and responsible units: nothing changes.",
    "diff.title": "Document title: {old} → {new}",
    "diff.doc_number": "Document number: {old} → {new}",
    "diff.no_doc_number": "none",
    "diff.measure.added": "New measure: {measure}",
    "diff.measure.removed": "Removed measure: {measure}",
    "diff.measure.retitled": "Measure retitled: {old} → {new}",
    "diff.added": "{count} new tasks:",
    "diff.removed": "{count} tasks removed:",
    "diff.reworded": "{count} tasks reworded:",
    "diff.units": "{count} tasks with changed units:",
    "diff.due": "{count} deadlines changed:",
    "diff.task.added": "+ {task}: {text}",
    "diff.task.removed": "- {task}: {text}",
    "diff.task.reworded": "~ {task}: {old} → {new}",
    "diff.task.changed": "· {task}: {what}",
    "diff.units.lead": "lead {old} → {new}",
    "diff.units.co_added": "co units added: {units}",
    "diff.units.co_removed": "co units removed: {units}",
    "diff.units.sep": "; ",
    "diff.units.reordered": "units reordered",
    "diff.no_units": "(none)",
    "diff.no_due": "not set",
    "applied.added": "New task: {task}",
    "applied.removed": "Removed task: {task}",
    "applied.reworded": "Reworded task: {task}",
    "applied.units": "Units changed: {task}",
    "applied.none": "Tasks and responsible units unchanged (only wording or deadlines adjusted)",
    "dryrun.same": "The same as policy {code}, already imported: importing changes nothing.",
    "dryrun.revision": "A revised version of policy {code}, already imported: importing makes these changes:",
    "dryrun.new": "A new policy: importing gives it the code {code}.",
    "dryrun.kept_nothing": "(Dry run: nothing was written to the database)",
    "detail.btn.evidence": "📎 {file} · #{rid}",
    "units.aliases": "（{aliases}）",
    "leader.board.light": "{light}{count}",
    "invite.created.unit": "·{unit}",
    "policies.doc": "（{doc}）",
    # Texts composed in bot/views instead of the use cases (issue 10 item 3, texts6a)
    "followup.undelivered_unit": "{unit}（#{aid}）",
    "summary.red_reason.overdue": "{days} days overdue",
    "summary.red_reason.blocked": "blocked",
    "summary.red_reason.silent": "silent for two periods",
    "zone.beijing": "Beijing time",
    "zone.named": "{zone} time",
    # `duban import` output in the configured language (issue 10 item 3, texts6c)
    "cli.import.same": "The same as policy {code}, already imported: nothing changed.",
    "cli.import.created": "Imported policy {code}: {measures} measures, {tasks} tasks, {assignments} assignments (drafts, not yet handed out).",
    "cli.import.revised": "Updated policy {code} (revised version):",
    "cli.import.no_doc": "(no document number)",
    "cli.import.col.ref": "Ref",
    "cli.import.col.task": "Task",
    "cli.import.col.lead": "Lead",
    "cli.import.col.co": "Co-op/local",
    "cli.import.col.due": "Due",
    "cli.warning": "Warning: {text}",
    # `duban followups` in the configured language and zone (issue 10 item 3, texts6c)
    "cli.followups.none": "No follow-ups pending.",
    "cli.followups.none_due": "No follow-ups due now.",
    "cli.followups.col.time": "Time ({zone})",
    "cli.followups.col.assignment": "Assignment",
    "cli.followups.col.unit": "Unit",
    "cli.followups.col.kind": "Kind",
    "cli.followups.count": "{total} pending, {shown} shown",
    "cli.followups.count_due": "{total} pending, {shown} shown (due now)",
}
