#!/usr/bin/env python3
"""Regroup Duban's bot/ into layer subpackages (issue 10, items 3-4, the mechanical part).

Run from the repository root, on a clean tree, with the project's virtualenv:

    .venv/bin/python /work/notes/regroup/regroup.py            # do it
    .venv/bin/python /work/notes/regroup/regroup.py --dry-run  # print the plan only

What it does, in order (each step decides from the files that exist when it runs):
  1. `git mv` bot/'s flat modules into bot/domain, bot/telegram, bot/views (MOVES below);
     flat modules it does not know are left in place and listed.
  2. splits bot/services/coordination.py into use-case modules and bot/views/ modules by the
     name of each top-level definition (COORDINATION below), and bot/telegram.py into
     bot/telegram/transport.py and bot/telegram/fsm.py (TELEGRAM below);
  3. rewrites every import, `bot.x` dotted string (mock targets, `-m bot.x`, logger names), `bot/x.py`
     path mention and setting (pyproject packages / mypy files, Makefile, README, docs);
  4. builds routers with factories: handlers/<m>.py gets `make_<router>()` functions and
     handlers/__init__.py a `get_routers()`, instead of copying aiogram's private handler lists;
  5. renames / regroups test files named after when they were written (TEST_MOVES below);
  6. bot/domain/statuses.py gets a `Status` StrEnum (STATUSES kept as its tuple);
  7. `ruff check --fix` on every touched Python file, then lists leftovers of the old names.

It refuses to run twice (bot/domain/ exists) and on a dirty tree. Nothing is committed: review
`git status` / `git diff --stat -M`, run `make test`, then commit.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import subprocess
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# ----------------------------------------------------------------------------- data tables

# Flat module (path) -> new path. Applied only where the source exists.
MOVES: dict[str, str] = {
    "bot/callbacks.py": "bot/domain/callbacks.py",
    "bot/clock.py": "bot/domain/clock.py",
    "bot/dates.py": "bot/domain/dates.py",
    "bot/followup_rules.py": "bot/domain/followup_rules.py",
    "bot/statuses.py": "bot/domain/statuses.py",
    "bot/textutil.py": "bot/domain/text.py",
    "bot/workcal.py": "bot/domain/workcal.py",
    "bot/refs.py": "bot/domain/refs.py",
    "bot/services/parsing.py": "bot/domain/parsing.py",
    "bot/unit_files.py": "bot/importer/unit_files.py",
    "bot/runner.py": "bot/telegram/runner.py",
    "bot/polling.py": "bot/telegram/polling.py",
    "bot/webhook.py": "bot/telegram/webhook.py",
    "bot/sender.py": "bot/telegram/sender.py",
    "bot/inflight.py": "bot/telegram/inflight.py",
    "bot/redact.py": "bot/telegram/redact.py",
    "bot/aiogram_types.py": "bot/telegram/aiogram_types.py",
    "bot/recovery.py": "bot/telegram/recovery.py",
    "bot/writable.py": "bot/telegram/writable.py",
    "bot/import_views.py": "bot/views/imports.py",
    "bot/views.py": "bot/views/board.py",
}
# Flat modules that stay at bot/'s top level (the composition root, the CLI, the clock's jobs...).
KEEP_FLAT = {"__init__", "app", "cli", "demo", "db", "migrate", "jobs"}
KEEP_FLAT_PREFIXES = ("cli_",)
# A flat module not named above: moved by the first rule whose pattern matches its name, else left.
RULES: list[tuple[str, str]] = [
    (r"^(webhook|polling|transport)\w*$", "bot/telegram/{}.py"),
    (r"^\w+_views?$", "bot/views/{}.py"),
]

NEW_PACKAGES: dict[str, str] = {
    "bot/domain": "Pure rules, no I/O: calendars, follow-up rules, reply reading, statuses, button payloads, the clock, text helpers.",
    "bot/telegram": "The transport: polling runner, the outbox sender, aiogram's Bot, FSM storage.",
    "bot/views": "Texts and keyboards: what a message looks like. No database.",
}


@dataclass
class Split:
    source: str  # path of the module to split
    package: str  # dotted package where the use-case modules go by default
    table: dict[str, str]  # top-level name -> dotted module
    default: str  # dotted module for names not in the table
    docstrings: dict[str, str] = field(default_factory=dict)
    copy: tuple[str, ...] = ("log",)  # module-level names copied into each module that uses them


S, V = "bot.services", "bot.views"
COORDINATION = Split(
    source="bot/services/coordination.py",
    package=S,
    default=f"{S}.coordination",
    table={
        # shared by the use cases: the refusal, access to one assignment, notices to a unit
        "CoordinationError": f"{S}.coordination", "lock": f"{S}.coordination",
        "assignment_for_actor": f"{S}.coordination", "_require_coordinator": f"{S}.coordination",
        "_tell_unit": f"{S}.coordination", "reasonable_due": f"{S}.coordination",
        # views: texts and keyboards
        "SHANGHAI": f"{V}.formatting", "esc": f"{V}.formatting", "local_time": f"{V}.formatting",
        "render_dispatch_preview": f"{V}.tasks", "dispatch_keyboard": f"{V}.tasks",
        "task_keyboard": f"{V}.tasks", "render_task_message": f"{V}.tasks", "describe": f"{V}.tasks",
        "refused_note": f"{V}.tasks", "dispatch_scope": f"{V}.tasks",
        # dispatch
        "DispatchPlan": f"{S}.dispatch", "plan_dispatch": f"{S}.dispatch", "plan_fingerprint": f"{S}.dispatch",
        "send_task_message": f"{S}.dispatch", "DispatchResult": f"{S}.dispatch", "dispatch": f"{S}.dispatch",
        "hand_out": f"{S}.dispatch", "refuse_past": f"{S}.coordination", "hold_until": f"{S}.coordination",
        "remind_key": f"{S}.control", "evidence_for_actor": f"{S}.reports",
        "report_card_text": f"{V}.tasks", "reporter_label": f"{V}.tasks",
        # acknowledgement
        "acknowledge": f"{S}.acknowledge",
        # progress reports
        "MAX_REPORT_CHARS": f"{S}.reports", "IncomingReport": f"{S}.reports",
        "find_assignment_by_message": f"{S}.reports", "store_raw_report": f"{S}.reports",
        "raw_report_values": f"{S}.reports", "record_received": f"{S}.reports", "receive_report": f"{S}.reports",
        "ReportOutcome": f"{S}.reports", "reading_of": f"{S}.reports", "interpret_report": f"{S}.reports",
        "_assign": f"{S}.reports", "apply_report_status": f"{S}.reports",
        "notify_coordinators_of_report": f"{S}.reports", "correct_report": f"{S}.reports",
        "latest_report_for_message": f"{S}.reports", "report_history": f"{S}.reports",
        # review
        "approve_report": f"{S}.review", "return_report": f"{S}.review", "_reviewable": f"{S}.review",
        "report_unit_for_review": f"{S}.review", "send_review_digest": f"{S}.review",
        # extensions
        "request_extension": f"{S}.extensions", "decide_extension": f"{S}.extensions",
        # coordinator controls
        "_coordinator_action": f"{S}.control", "coordinator_extend": f"{S}.control",
        "coordinator_close": f"{S}.control", "coordinator_reopen": f"{S}.control", "remind": f"{S}.control",
        "open_assignment_ids_for_unit": f"{S}.control", "contact_counts": f"{S}.control",
    },
    docstrings={
        f"{S}.coordination": "What the coordination use cases share: the refusal a user reads, access to one\n"
        "assignment, notices to a unit's contacts.",
        f"{S}.dispatch": "Dispatch (下发): drafts become assigned tasks, and each unit's contacts get the task message.",
        f"{S}.acknowledge": "Acknowledgement (签收): a contact confirms the unit has the task.",
        f"{S}.reports": "Progress reports: a reply kept verbatim, then read, applied to its assignment, corrected.",
        f"{S}.review": "Review: a coordinator approves or returns a report; the digest of reports awaiting review.",
        f"{S}.extensions": "Extensions: a unit asks for a later deadline, a coordinator agrees or refuses.",
        f"{S}.control": "Coordinator controls: extend, close, reopen, remind (催办), and the counts they look at.",
        f"{V}.formatting": "Formatting helpers shared by the views: escaping for Telegram HTML, local times.",
        f"{V}.tasks": "The task message, the dispatch preview and their keyboards; how a report was read, in words.",
    },
)
TELEGRAM = Split(
    source="bot/telegram.py",
    package="bot.telegram",
    default="bot.telegram.transport",
    table={"SqlStorage": "bot.telegram.fsm", "CACHED_FSM_KEYS": "bot.telegram.fsm",
           "update_session": "bot.telegram.fsm",
           "make_bot": "bot.telegram.transport", "AiogramTransport": "bot.telegram.transport"},
    docstrings={
        "bot.telegram.transport": "The aiogram edge: building the Bot and delivering outbox rows through it.",
        "bot.telegram.fsm": "aiogram's FSM storage kept in the database, so a half-finished flow survives a restart.",
    },
)
SPLITS = [COORDINATION, TELEGRAM]

# Test files named after when they were written: test name -> file of the behaviour it covers.
# Tests of a listed file that are not named go to its "*" entry (never lost).
TEST_MOVES: dict[str, dict[str, str]] = {
    "tests/test_review_fixes.py": {
        "test_invitations_never_go_to_a_group": "tests/test_invites.py",
        "test_an_old_correction_button_cannot_undo_a_review": "tests/test_review.py",
        "test_a_member_cannot_show_another_units_tasks_in_a_group": "tests/test_private_listings.py",
        "test_a_failed_button_edit_does_not_undo_the_acknowledgement": "tests/test_acknowledge.py",
        "test_odd_numbers_get_polite_answers": "tests/test_odd_input.py",
        "test_extension_far_future_and_after_close_are_refused": "tests/test_extensions.py",
        "test_blocked_notice_survives_html_in_names": "tests/test_reports.py",
        "*": "tests/test_bot_flow.py",
    },
    "tests/test_bot_more.py": {
        "test_guided_report_flow_and_correction": "tests/test_reports.py",
        "test_edit_keeps_both_versions_and_completion_is_approved": "tests/test_reports.py",
        "test_a_reply_the_bot_cannot_read_is_kept": "tests/test_reports.py",
        "test_extension_request_approved_and_refused": "tests/test_extensions.py",
        "test_coordinator_controls_and_listings": "tests/test_coordinator_controls.py",
        "test_long_board_pages_and_reply_with_document": "tests/test_coordinator_controls.py",
        "test_english_on_request": "tests/test_i18n.py",
        "test_a_half_finished_flow_survives_a_restart": "tests/test_fsm_storage.py",
        "test_summary_and_export_on_demand": "tests/test_summary_service.py",
        "*": "tests/test_bot_flow.py",
    },
}
TEST_DOCSTRINGS = {
    "tests/test_review.py": "Review of progress reports through the real Dispatcher: approve, return, stale buttons.",
    "tests/test_acknowledge.py": "Acknowledgement (签收) through the real Dispatcher.",
    "tests/test_extensions.py": "Extension requests and decisions through the real Dispatcher.",
    "tests/test_reports.py": "Progress reports through the real Dispatcher: guided flow, corrections, edits, unreadable replies.",
    "tests/test_coordinator_controls.py": "Coordinator controls and listings through the real Dispatcher.",
}
# Whole files renamed (old -> new), applied if the old exists and the new does not.
TEST_RENAMES: dict[str, str] = {
    "tests/test_replan_fast.py": "tests/test_replan.py",
}

SCOPE_DIRS = ("bot", "handlers", "models", "config", "tests", "bench", "migrations", "docs")
TEXT_SUFFIXES = {".md", ".toml", ".ini", ".cfg", ".mako", ".yaml", ".yml", ".rst"}
TOP_FILES = ("README.md", "pyproject.toml", "Makefile", "CONTRIBUTING.md", ".pre-commit-config.yaml")

# ----------------------------------------------------------------------------- helpers

DRY = False
touched: set[str] = set()
summary: list[str] = []
warnings: list[str] = []


def sh(*args: str, check: bool = True) -> str:
    res = subprocess.run(args, capture_output=True, text=True)
    if check and res.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{res.stdout}{res.stderr}")
    return res.stdout


def say(msg: str) -> None:
    summary.append(msg)
    print(msg)


def warn(msg: str) -> None:
    warnings.append(msg)
    print("WARNING:", msg)


def dotted(path: str) -> str:
    p = path[:-3] if path.endswith(".py") else path
    p = p.removesuffix("/__init__")
    return p.replace("/", ".")


def path_of(mod: str) -> str:
    return mod.replace(".", "/") + ".py"


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")
    touched.add(path)


def git_mv(src: str, dst: str) -> None:
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    sh("git", "mv", src, dst)
    touched.add(dst)


def ensure_package(pkg_dir: str) -> None:
    init = Path(pkg_dir) / "__init__.py"
    if not init.exists() and not DRY:
        doc = NEW_PACKAGES.get(pkg_dir, "")
        write(str(init), f'"""{doc}"""\n' if doc else "")
        sh("git", "add", str(init))
        say(f"  new package {pkg_dir}/")


# ----------------------------------------------------------------------------- module map


class ModuleMap:
    """Old dotted module -> where each of its names lives now."""

    def __init__(self) -> None:
        self.moves: dict[str, str] = {}  # old dotted -> new dotted
        self.splits: dict[str, tuple[dict[str, str], str]] = {}  # old dotted -> (name -> new, default)
        self.renamed_names: dict[str, dict[str, str]] = {}  # new dotted -> {old name: new name}

    def olds(self) -> list[str]:
        return sorted({*self.moves, *self.splits}, key=len, reverse=True)

    def resolve(self, old: str, name: str | None) -> str:
        if old in self.moves:
            return self.moves[old]
        table, default = self.splits[old]
        if name is None:
            return default
        return table.get(name, default)

    def new_name(self, new_mod: str, name: str) -> str:
        return self.renamed_names.get(new_mod, {}).get(name, name)

    def is_split(self, old: str) -> bool:
        return old in self.splits


MM = ModuleMap()

# ----------------------------------------------------------------------------- step 1: moves


def flat_modules() -> list[str]:
    return sorted(str(p) for p in Path("bot").glob("*.py"))


def plan_moves() -> dict[str, str]:
    plan: dict[str, str] = {}
    for src, dst in MOVES.items():
        if Path(src).exists():
            plan[src] = dst
    split_sources = {s.source for s in SPLITS}
    for path in flat_modules():
        stem = Path(path).stem
        if path in plan or path in split_sources:
            continue
        if stem in KEEP_FLAT or stem.startswith(KEEP_FLAT_PREFIXES):
            continue
        for pattern, target in RULES:
            if re.match(pattern, stem):
                plan[path] = target.format(stem)
                break
        else:
            warn(f"unknown flat module left in place: {path} (add it to MOVES to move it)")
    return plan


def do_moves(plan: dict[str, str]) -> None:
    say("Moves:")
    for src, dst in plan.items():
        pkg_dir = str(Path(dst).parent)
        if pkg_dir in NEW_PACKAGES:
            ensure_package(pkg_dir)
        if Path(dst).exists():
            sys.exit(f"refusing: {dst} exists already")
        if not DRY:
            git_mv(src, dst)
        MM.moves[dotted(src)] = dotted(dst)
        say(f"  {src} -> {dst}")


# ----------------------------------------------------------------------------- step 2: splits


def comment_start(lines: list[str], first: int) -> int:
    """1-based first line of a definition, extended upwards over directly adjacent comment lines."""
    i = first - 1
    while i - 1 >= 0 and lines[i - 1].lstrip().startswith("#") and not set(lines[i - 1].strip()) <= set("#- "):
        i -= 1
    return i + 1


def defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def runtime_names(node: ast.AST) -> set[str]:
    """Names used outside annotations (annotations are not evaluated: `from __future__ import annotations`)."""
    out: set[str] = set()

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Name):
            out.add(n.id)
        for fld, value in ast.iter_fields(n):
            if fld in ("annotation", "returns"):
                continue
            for c in value if isinstance(value, list) else [value]:
                if isinstance(c, ast.AST):
                    visit(c)

    visit(node)
    return out


def imported_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    return []


def is_import_block(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Name | ast.Attribute)
            and "TYPE_CHECKING" in ast.unparse(node.test))


def closest_module(split: Split, node: ast.stmt, table: dict[str, str]) -> str:
    """For a name the table does not know: the use-case module holding most of the names it uses."""
    votes: dict[str, int] = defaultdict(int)
    for n in runtime_names(node):
        mod = table.get(n)
        if mod is not None and mod.startswith(split.package + "."):
            votes[mod] += 1
    if not votes:
        return split.default
    best = max(votes.values())
    winners = [m for m, v in votes.items() if v == best]
    return split.default if split.default in winners else sorted(winners)[0]


def split_module(split: Split) -> None:
    src = split.source
    if not Path(src).exists():
        say(f"Split: {src} absent, skipped")
        return
    text = Path(src).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    body = list(tree.body)
    doc = ast.get_docstring(tree)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    future = [n for n in body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
    imports = [n for n in body if is_import_block(n) and n not in future]
    import_text = "".join("".join(lines[n.lineno - 1:n.end_lineno]) for n in imports)
    bound_by_import = {name for n in imports for name in imported_names(n)}
    items: list[tuple[list[str], str, ast.stmt]] = []  # (names, text, node)
    for n in body:
        if n in future or n in imports:
            continue
        first = min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))])
        start = comment_start(lines, first)
        items.append((defined_names(n), "".join(lines[start - 1:n.end_lineno]), n))

    home: dict[str, str] = {}
    for names, _, node in items:
        for name in names:
            if name in split.copy:
                continue
            target = split.table.get(name)
            if target is None:
                target = closest_module(split, node, split.table)
                warn(f"{src}: {name} is not in the split table; put in {target} (the module of most names it uses)")
            home[name] = target
    contents: dict[str, list[tuple[list[str], str, ast.stmt]]] = defaultdict(list)
    copies: list[tuple[list[str], str, ast.stmt]] = []
    for names, txt, node in items:
        if names and all(n in split.copy for n in names):
            copies.append((names, txt, node))
            continue
        if not names:
            target = split.default
            warn(f"{src}: top-level statement at line {node.lineno} kept in {target}")
        else:
            target = home[names[0]]
        contents[target].append((names, txt, node))
    if split.default not in contents:
        contents[split.default] = []

    uses: dict[str, set[str]] = {m: set().union(*(used_names(n) for _, _, n in its)) if its else set()
                                 for m, its in contents.items()}
    # privates used from another module lose their underscore
    renames: dict[str, str] = {}
    for name, mod in home.items():
        if name.startswith("_") and not name.startswith("__"):
            if any(name in u for m, u in uses.items() if m != mod):
                public = name.lstrip("_")
                if public in home or public in bound_by_import:
                    warn(f"{src}: {name} used across modules but {public} exists; left private")
                else:
                    renames[name] = public
    # imported names: the module that uses them answers for them (monkeypatch targets)
    table = dict(home)
    for name in sorted(bound_by_import):
        users = [m for m, u in uses.items() if name in u]
        if users:
            table.setdefault(name, users[0])
    old_mod = dotted(src)
    MM.splits[old_mod] = ({k: v for k, v in table.items()}, split.default)
    for new_mod in contents:
        MM.renamed_names[new_mod] = renames

    # dependency cycle check between the new modules
    runtime: dict[str, set[str]] = {m: set().union(*(runtime_names(n) for _, _, n in its)) if its else set()
                                    for m, its in contents.items()}
    deps: dict[str, set[str]] = {m: {home[n] for n in runtime[m] if n in home and home[n] != m} for m in contents}

    def reach(a: str, seen: set[str]) -> set[str]:
        for b in deps[a]:
            if b not in seen:
                seen.add(b)
                reach(b, seen)
        return seen

    for m in contents:
        if m in reach(m, set()):
            warn(f"{src}: import cycle through {m}: {sorted(deps[m])}")

    def rename_text(txt: str) -> str:
        for old, new in renames.items():
            txt = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, txt)
        return txt

    say(f"Split {src}:")
    source_goes = False
    for mod, its in contents.items():
        path = path_of(mod)
        if path == src:
            source_goes = True
        cross: dict[str, list[str]] = defaultdict(list)
        typing_only: dict[str, list[str]] = defaultdict(list)
        for n in sorted(uses[mod]):
            if n in home and home[n] != mod:
                (cross if n in runtime[mod] else typing_only)[home[n]].append(renames.get(n, n))
        out = [f'"""{split.docstrings.get(mod, doc or "")}"""\n\n']
        out += ["".join(lines[n.lineno - 1:n.end_lineno]) for n in future]
        if future:
            out.append("\n")
        out.append(import_text)
        for other, names in sorted(cross.items()):
            out.append(f"from {other} import {', '.join(sorted(names))}\n")
        if typing_only:
            out.append("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n")
            for other, names in sorted(typing_only.items()):
                out.append(f"    from {other} import {', '.join(sorted(names))}\n")
        out.append("\n")
        for names, txt, node in copies:
            if set(names) & uses[mod] or mod == split.default:
                out.append(txt)
        parts = [txt.strip("\n") + "\n" for _, txt, _ in its]
        out.append("\n\n" + "\n\n".join(parts) if parts else "")
        body_text = rename_text("".join(out))
        names_here = [n for ns, _, _ in its for n in ns]
        say(f"  -> {path}: {', '.join(renames.get(n, n) for n in names_here) or '(nothing)'}")
        if DRY:
            continue
        pkg_dir = str(Path(path).parent)
        if pkg_dir in NEW_PACKAGES:
            ensure_package(pkg_dir)
        if Path(path).exists() and path != src:
            sys.exit(f"refusing: {path} exists already")
        write(path, body_text)
        sh("git", "add", path)
    if renames:
        say(f"  privates made public: {renames}")
    if not source_goes and not DRY:
        sh("git", "rm", "-q", "--cached", src)
        Path(src).unlink()


# ----------------------------------------------------------------------------- step 3: rewrite


def old_module_regex() -> re.Pattern[str]:
    alts = "|".join(re.escape(m) for m in MM.olds())
    return re.compile(rf"(?<![\w.])({alts})(?:\.(\w+))?(?![\w])")


def old_path_regex() -> re.Pattern[str]:
    alts = "|".join(re.escape(path_of(m)) for m in MM.olds())
    return re.compile(rf"(?<![\w/])({alts})(?![\w])")


def rewrite_dotted_text(s: str) -> str:
    rx = old_module_regex()

    def sub(m: re.Match[str]) -> str:
        old, attr = m.group(1), m.group(2)
        new = MM.resolve(old, attr)
        if attr is not None and MM.is_split(old):
            return f"{new}.{MM.new_name(new, attr)}"
        return new + (f".{attr}" if attr is not None else "")

    return rx.sub(sub, s)


def rewrite_short_mentions(s: str) -> str:
    """Prose like `coordination.receive_report` (a split module by its last name) in comments and docstrings."""
    for old in MM.splits:
        last = old.rsplit(".", 1)[1]

        def sub(m: re.Match[str], old: str = old) -> str:
            if m.group(1) not in MM.splits[old][0]:
                return m.group(0)
            new = MM.resolve(old, m.group(1))
            return f"{new.rsplit('.', 1)[1]}.{MM.new_name(new, m.group(1))}"

        s = re.sub(rf"(?<![\w.]){re.escape(last)}\.(\w+)", sub, s)
    return s


def rewrite_path_text(s: str) -> str:
    rx = old_path_regex()
    return rx.sub(lambda m: path_of(MM.resolve(dotted(m.group(1)), None)), s)


def rewrite_text_file(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    new = rewrite_path_text(rewrite_dotted_text(text))
    if path == "pyproject.toml":
        new = fix_packages(new)
    if new != text:
        write(path, new)


def fix_packages(text: str) -> str:
    m = re.search(r"(\[tool\.setuptools\][^\[]*?packages\s*=\s*\[)(.*?)(\])", text, re.S)
    if not m:
        warn("pyproject.toml: no [tool.setuptools] packages list found")
        return text
    listed = re.findall(r'"([\w.]+)"', m.group(2))
    have = [p for p in listed if Path(p.replace(".", "/"), "__init__.py").exists()]
    for init in sorted(Path(".").glob("bot/**/__init__.py")):
        pkg = dotted(str(init))
        if pkg not in have:
            have.append(pkg)
    bots = sorted(p for p in have if p == "bot" or p.startswith("bot."))
    rest = [p for p in have if p not in bots]
    body = "\n  " + ", ".join(f'"{p}"' for p in bots) + ",\n  " + ", ".join(f'"{p}"' for p in rest) + ",\n"
    return text[:m.start(2)] + body + text[m.end(2):]


@dataclass
class Edit:
    start: int  # offset
    end: int
    text: str


class PyRewriter:
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text
        self.lines = text.splitlines(keepends=True)
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line))
        self.tree = ast.parse(text)
        self.edits: list[Edit] = []
        self.idents = self._identifiers()

    def off(self, line: int, col: int) -> int:
        return self.offsets[line - 1] + len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8"))

    def seg(self, node: ast.AST) -> tuple[int, int]:
        return (self.off(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.off(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def _identifiers(self) -> set[str]:
        out: set[str] = set()
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Name):
                out.add(n.id)
            elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.add(n.name)
            elif isinstance(n, ast.arg):
                out.add(n.arg)
            elif isinstance(n, ast.alias):
                out.add((n.asname or n.name).split(".")[0])
        return out

    def alias_for(self, new_mod: str, taken: set[str]) -> str:
        last = new_mod.rsplit(".", 1)[1]
        if last not in self.idents and last not in taken:
            return last
        kind = {"bot.services": "service", "bot.views": "view"}.get(new_mod.rsplit(".", 1)[0], "mod")
        return f"{last}_{kind}"

    def attr_uses(self, alias: str) -> tuple[list[ast.Attribute], list[tuple[ast.Name, str]], list[ast.Name]]:
        attrs, setattrs, bare = [], [], []
        parents: dict[int, ast.AST] = {}
        for p in ast.walk(self.tree):
            for c in ast.iter_child_nodes(p):
                parents[id(c)] = p
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Name) and n.id == alias:
                parent = parents.get(id(n))
                if isinstance(parent, ast.Attribute) and parent.value is n:
                    attrs.append(parent)
                elif (isinstance(parent, ast.Call) and parent.args and parent.args[0] is n and len(parent.args) > 1
                      and isinstance(parent.args[1], ast.Constant) and isinstance(parent.args[1].value, str)
                      and ast.unparse(parent.func).endswith("setattr")):
                    setattrs.append((n, parent.args[1].value))
                    if parent.args[1].value in ():
                        pass
                else:
                    bare.append(n)
        return attrs, setattrs, bare

    def rewrite_split_alias(self, old: str, alias: str) -> list[tuple[str, str, str | None]]:
        """`alias.NAME` -> `<new module alias>.NAME`; returns the (package, module, asname) to import."""
        attrs, setattrs, bare = self.attr_uses(alias)
        wanted: dict[str, str] = {}
        taken: set[str] = set()

        def local(new_mod: str) -> str:
            if new_mod not in wanted:
                wanted[new_mod] = self.alias_for(new_mod, taken)
                taken.add(wanted[new_mod])
            return wanted[new_mod]

        for a in attrs:
            new_mod = MM.resolve(old, a.attr)
            name = MM.new_name(new_mod, a.attr)
            s, e = self.seg(a)
            self.edits.append(Edit(s, e, f"{local(new_mod)}.{name}"))
        for n, attr in setattrs:
            new_mod = MM.resolve(old, attr)
            s, e = self.seg(n)
            self.edits.append(Edit(s, e, local(new_mod)))
            if MM.new_name(new_mod, attr) != attr:
                warn(f"{self.path}: setattr target {attr} renamed to {MM.new_name(new_mod, attr)}; check it")
        if bare:
            new_mod = MM.resolve(old, None)
            for n in bare:
                s, e = self.seg(n)
                self.edits.append(Edit(s, e, local(new_mod)))
            warn(f"{self.path}:{bare[0].lineno}: module {old} used as a value; now {new_mod}")
        out = []
        for new_mod, loc in wanted.items():
            pkg, last = new_mod.rsplit(".", 1)
            out.append((pkg, last, None if loc == last else loc))
        return out

    def rewrite_import(self, node: ast.Import | ast.ImportFrom) -> None:
        olds = set(MM.olds())
        indent = " " * node.col_offset
        out: list[str] = []
        changed = False
        if isinstance(node, ast.Import):
            for a in node.names:
                hit = next((o for o in olds if a.name == o), None)
                if hit is None:
                    out.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
                    continue
                changed = True
                if a.asname and MM.is_split(hit):
                    for pkg, mod, asn in self.rewrite_split_alias(hit, a.asname):
                        out.append(f"from {pkg} import {mod}" + (f" as {asn}" if asn else ""))
                elif a.asname:
                    out.append(f"import {MM.resolve(hit, None)} as {a.asname}")
                else:
                    # `import bot.x` then `bot.x.y` in code: the chains are rewritten by rewrite_chains
                    self.chain_imports.append(hit)
                    out.append(f"import {MM.resolve(hit, None)}")
        else:
            if node.level or node.module is None:
                return
            grouped: dict[str, list[str]] = defaultdict(list)
            order: list[str] = []

            def add(mod: str, item: str) -> None:
                if mod not in grouped:
                    order.append(mod)
                grouped[mod].append(item)

            for a in node.names:
                full = f"{node.module}.{a.name}"
                if node.module in olds:
                    changed = True
                    new_mod = MM.resolve(node.module, a.name)
                    name = MM.new_name(new_mod, a.name)
                    asname = a.asname or (a.name if name != a.name else None)
                    add(new_mod, name + (f" as {asname}" if asname and asname != name else ""))
                elif full in olds:
                    changed = True
                    local = a.asname or a.name
                    if MM.is_split(full):
                        for pkg, mod, asn in self.rewrite_split_alias(full, local):
                            add(pkg, mod + (f" as {asn}" if asn else ""))
                    else:
                        pkg, mod = MM.resolve(full, None).rsplit(".", 1)
                        add(pkg, mod + (f" as {local}" if local != mod else ""))
                else:
                    add(node.module, a.name + (f" as {a.asname}" if a.asname else ""))
            for mod in order:
                out.append(f"from {mod} import {', '.join(grouped[mod])}")
        if changed:
            s = self.off(node.lineno, node.col_offset)
            e = self.off(node.end_lineno, node.end_col_offset)  # type: ignore[arg-type]
            self.edits.append(Edit(s, e, ("\n" + indent).join(out)))

    def rewrite_chains(self) -> None:
        """`bot.x.y` attribute chains after a bare `import bot.x`."""
        if not self.chain_imports:
            return
        for n in ast.walk(self.tree):
            if not isinstance(n, ast.Attribute):
                continue
            try:
                full = ast.unparse(n)
            except Exception:  # noqa: BLE001
                continue
            for old in self.chain_imports:
                if full.startswith(old + ".") and ast.unparse(n.value) == old:
                    new_mod = MM.resolve(old, n.attr)
                    s, e = self.seg(n)
                    self.edits.append(Edit(s, e, f"{new_mod}.{MM.new_name(new_mod, n.attr)}"))

    def rewrite_strings_and_comments(self) -> None:
        toks = tokenize.generate_tokens(io.StringIO(self.text).readline)
        for tok in toks:
            if tok.type in (tokenize.STRING, tokenize.COMMENT) or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                new = rewrite_path_text(rewrite_dotted_text(tok.string))
                if tok.type == tokenize.COMMENT or tok.string.lstrip("rbuRBU").startswith(('"""', "'''")):
                    new = rewrite_short_mentions(new)
                if new != tok.string:
                    s = self.off(tok.start[0], 0) + len(self.lines[tok.start[0] - 1][:tok.start[1]])
                    e = self.off(tok.end[0], 0) + len(self.lines[tok.end[0] - 1][:tok.end[1]])
                    self.edits.append(Edit(s, e, new))

    def run(self) -> str:
        self.chain_imports: list[str] = []
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Import | ast.ImportFrom):
                self.rewrite_import(n)
        self.rewrite_chains()
        self.rewrite_strings_and_comments()
        # apply from the end; drop edits nested in another one
        self.edits.sort(key=lambda ed: (ed.start, -ed.end))
        kept: list[Edit] = []
        for ed in self.edits:
            if kept and ed.start < kept[-1].end:
                continue
            kept.append(ed)
        text = self.text
        for ed in reversed(kept):
            text = text[:ed.start] + ed.text + text[ed.end:]
        return text


def scope_files() -> list[str]:
    files = sh("git", "ls-files", *SCOPE_DIRS, *[f for f in TOP_FILES if Path(f).exists()]).split()
    files += [p for p in touched if p not in files]
    out = []
    for f in sorted(set(files)):
        p = Path(f)
        if not p.exists():
            continue
        if "/data/" in f or "/fixtures/" in f:
            continue
        if p.suffix == ".py" or p.suffix in TEXT_SUFFIXES or p.name in TOP_FILES:
            out.append(f)
    return out


def rewrite_all() -> None:
    n = 0
    for f in scope_files():
        if f.endswith(".py"):
            text = Path(f).read_text(encoding="utf-8")
            new = PyRewriter(f, text).run()
            if new != text:
                write(f, new)
                n += 1
        else:
            before = Path(f).read_text(encoding="utf-8")
            rewrite_text_file(f)
            if Path(f).read_text(encoding="utf-8") != before:
                n += 1
    say(f"Rewrote imports / dotted names / paths in {n} files")


# ----------------------------------------------------------------------------- step 4: routers


def router_factories(path: str) -> dict[str, str]:
    """Module-level `X = Router(...)` plus `@X.<event>(...)` handlers -> `def make_X() -> Router`.

    Returns {router variable: factory name}. The decorator's arguments become `register`'s
    (aiogram's observer decorator and `register` take the same filters and flags)."""
    text = Path(path).read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    routers: dict[str, str] = {}  # var -> constructor source
    for n in tree.body:
        if (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                and isinstance(n.value, ast.Call) and ast.unparse(n.value.func) == "Router"):
            routers[n.targets[0].id] = ast.get_source_segment(text, n.value) or ""
    if not routers:
        return {}
    setup: dict[str, list[str]] = defaultdict(list)
    remove: list[tuple[int, int]] = []  # 1-based inclusive line ranges
    for n in tree.body:
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and n.targets[0].id in routers:
            remove.append((n.lineno, n.end_lineno or n.lineno))
        elif isinstance(n, ast.Expr) and isinstance(n.value, ast.Call):
            root = n.value.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in routers:
                setup[root.id].append(ast.get_source_segment(text, n) or "")
                remove.append((n.lineno, n.end_lineno or n.lineno))
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
            for d in n.decorator_list:
                if (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                        and isinstance(d.func.value, ast.Name) and d.func.value.id in routers):
                    var, event = d.func.value.id, d.func.attr
                    args = [ast.get_source_segment(text, a) or "" for a in d.args]
                    args += [f"{k.arg}={ast.get_source_segment(text, k.value)}" if k.arg
                             else f"**{ast.get_source_segment(text, k.value)}" for k in d.keywords]
                    setup[var].append(f"{var}.{event}.register({', '.join([n.name, *args])})")
                    remove.append((d.lineno - 0, d.end_lineno or d.lineno))
                elif isinstance(d, ast.Attribute) and isinstance(d.value, ast.Name) and d.value.id in routers:
                    setup[d.value.id].append(f"{d.value.id}.{d.attr}.register({n.name})")
                    remove.append((d.lineno, d.end_lineno or d.lineno))
    # any other module-level use of a router variable cannot be moved safely
    removed_lines = {i for a, b in remove for i in range(a, b + 1)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in routers and n.lineno not in removed_lines:
            in_func = any(isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.lineno <= n.lineno <= (f.end_lineno or 0)
                          for f in tree.body)
            warn(f"{path}:{n.lineno}: router variable {n.id} used {'in a function' if in_func else 'at module level'}; "
                 "router factories not applied to this file")
            return {}
    keep = [line for i, line in enumerate(lines, 1) if i not in removed_lines]
    out = "".join(keep).rstrip("\n") + "\n"
    factories: dict[str, str] = {}
    for var, ctor in routers.items():
        fname = f"make_{var}"
        factories[var] = fname
        body = [f"    {var} = {ctor}\n"] + [f"    {s}\n" for s in setup[var]] + [f"    return {var}\n"]
        doc = f'    """A fresh `{var}` with its handlers: a router belongs to one Dispatcher only."""\n'
        out += f"\n\ndef {fname}() -> Router:\n{doc}" + "".join(body)
    out = re.sub(r"\n{4,}", "\n\n\n", out)
    write(path, out)
    return factories


def routers_step() -> None:
    init = Path("handlers/__init__.py")
    if not init.exists():
        return
    text = init.read_text(encoding="utf-8")
    if "get_routers" in text:
        say("Routers: handlers/__init__.py has get_routers() already; skipped")
        return
    tree = ast.parse(text)
    templates = next((n for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                      and n.targets[0].id == "TEMPLATES"), None)
    copy = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_copy"), None)
    if templates is None or copy is None or not isinstance(templates.value, ast.Tuple | ast.List):
        warn("handlers/__init__.py: no TEMPLATES/_copy found; get_routers() not applied")
        return
    elements = [ast.unparse(e) for e in templates.value.elts]
    modules = sorted({e.split(".")[0] for e in elements})
    made: dict[str, dict[str, str]] = {}
    for m in modules:
        p = f"handlers/{m}.py"
        if not Path(p).exists():
            warn(f"handlers/__init__.py: {p} missing; get_routers() not applied")
            return
        made[m] = router_factories(p) if not DRY else {}
        if not made[m] and not DRY:
            warn(f"{p}: no router factories; get_routers() not applied (files may be half-converted: check git diff)")
            return
    if DRY:
        say(f"Routers: would convert {modules} and add get_routers()")
        return
    calls = [f"{e.split('.')[0]}.{made[e.split('.')[0]][e.split('.')[1]]}()" for e in elements]
    lines = text.splitlines(keepends=True)
    start = comment_start(lines, templates.lineno)
    comments = "".join(line.replace("# ", "    # ", 1) if line.startswith("# ") else line
                       for line in lines[start - 1:templates.lineno - 1])
    func = ("def get_routers() -> list[Router]:\n"
            '    """Fresh routers for one Dispatcher, in the order that matters."""\n'
            + comments
            + "    return [\n" + "".join(f"        {c},\n" for c in calls) + "    ]\n")
    new_lines = lines[:start - 1] + [func] + lines[templates.end_lineno:copy.lineno - 1] + lines[copy.end_lineno:]
    new = "".join(new_lines)
    new = new.replace("*(_copy(t) for t in TEMPLATES)", "*get_routers()")
    new = re.sub(r"\n{4,}", "\n\n\n", new)
    if "_copy(" in new or "TEMPLATES" in new:
        warn("handlers/__init__.py: _copy/TEMPLATES still used; check it")
    write(str(init), new)
    say(f"Routers: get_routers() in handlers/__init__.py; factories in {', '.join(f'handlers/{m}.py' for m in modules)}")


# ----------------------------------------------------------------------------- step 5: tests


def move_tests() -> None:
    for old, new in TEST_RENAMES.items():
        if Path(old).exists() and not Path(new).exists():
            if not DRY:
                git_mv(old, new)
            say(f"Tests: {old} -> {new}")
    for src, table in TEST_MOVES.items():
        if not Path(src).exists():
            continue
        text = Path(src).read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        tree = ast.parse(text)
        body = list(tree.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        imports = [n for n in body if is_import_block(n)]
        import_text = "".join("".join(lines[n.lineno - 1:n.end_lineno]) for n in imports
                              if not (isinstance(n, ast.ImportFrom) and n.module == "__future__"))
        tests, helpers = [], []
        for n in body:
            if n in imports:
                continue
            first = min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))])
            item = (defined_names(n), "".join(lines[comment_start(lines, first) - 1:n.end_lineno]), n)
            (tests if any(x.startswith("test_") for x in item[0]) else helpers).append(item)
        by_target: dict[str, list] = defaultdict(list)
        for item in tests:
            name = item[0][0]
            target = table.get(name)
            if target is None:
                target = table["*"]
                warn(f"{src}: {name} not in TEST_MOVES; moved to {target}")
            by_target[target].append(item)
        for target, items in by_target.items():
            used = set().union(*(used_names(n) for _, _, n in items))
            # helpers (and the helpers they use) come along
            need = [h for h in helpers if set(h[0]) & used]
            for h in list(need):
                for h2 in helpers:
                    if h2 not in need and set(h2[0]) & used_names(h[2]):
                        need.insert(0, h2)
            chunk = "\n\n" + "\n\n".join(x[1].strip("\n") + "\n" for x in [*need, *items])
            say(f"Tests: {src} -> {target}: {', '.join(x[0][0] for x in items)}")
            if DRY:
                continue
            if Path(target).exists():
                ttext = Path(target).read_text(encoding="utf-8")
                ttree = ast.parse(ttext)
                tlines = ttext.splitlines(keepends=True)
                clash = {x[0][0] for x in [*need, *items]} & {nm for n in ttree.body for nm in defined_names(n)}
                if clash - {h[0][0] for h in need}:
                    sys.exit(f"refusing: {target} defines {sorted(clash)} already")
                need_names = {h[0][0] for h in need}
                if clash & need_names:
                    chunk = "\n\n" + "\n\n".join(x[1].strip("\n") + "\n" for x in
                                                   [*(h for h in need if h[0][0] not in clash), *items])
                last_imp = max((n.end_lineno or 0 for n in ttree.body if is_import_block(n)), default=0)
                new = "".join(tlines[:last_imp]) + import_text + "".join(tlines[last_imp:]).rstrip("\n") + "\n" + chunk
            else:
                doc = TEST_DOCSTRINGS.get(target, f"Tests moved from {src}.")
                new = f'"""{doc}"""\n\nfrom __future__ import annotations\n\n{import_text}{chunk}'
            write(target, re.sub(r"\n{4,}", "\n\n\n", new))
            sh("git", "add", target)
        if not DRY:
            sh("git", "rm", "-q", "-f", src)
            say(f"Tests: {src} removed (all its tests moved)")


# ----------------------------------------------------------------------------- step 6: statuses

STATUS_ENUM = '''

class Status(StrEnum):
    """An assignment's status. A StrEnum: equal to its stored string, so rows and literals compare."""

{members}


STATUSES: tuple[str, ...] = tuple(Status)
'''


def statuses_step() -> None:
    p = Path("bot/domain/statuses.py")
    if not p.exists():
        return
    text = p.read_text(encoding="utf-8")
    if "StrEnum" in text:
        say("Statuses: StrEnum present already")
        return
    tree = ast.parse(text)
    node = next((n for n in tree.body if "STATUSES" in defined_names(n)), None)
    if node is None or not isinstance(node.value, ast.Tuple):  # type: ignore[union-attr]
        warn("bot/domain/statuses.py: STATUSES tuple not found; StrEnum not added")
        return
    values = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]  # type: ignore[union-attr]
    members = "\n".join(f'    {v.upper()} = "{v}"' for v in values)
    lines = text.splitlines(keepends=True)
    head = "".join(lines[:node.lineno - 1]).rstrip("\n") + "\n"
    doc_end = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
    head_lines = head.splitlines(keepends=True)
    head = "".join(head_lines[:doc_end]) + "\nfrom enum import StrEnum\n" + "".join(head_lines[doc_end:])
    new = head + STATUS_ENUM.format(members=members) + "".join(lines[node.end_lineno:])
    if not DRY:
        write(str(p), re.sub(r"\n{4,}", "\n\n\n", new))
    say(f"Statuses: class Status(StrEnum) with {len(values)} members in bot/domain/statuses.py")


STATUS_RECEIVERS = re.compile(r"^(Assignment|assignment|a|it|r|row|.*\.assignment)$")
STATUS_SCOPE = ("bot", "handlers")
STATUS_SKIP = ("bot/domain/parsing.py", "bot/domain/statuses.py")  # parsing's `.status` is a reading, not a state


def status_literals() -> None:
    """`<assignment>.status == "done"` -> `== Status.DONE`, also `!=`, `in (...)`, `.status.in_(...)`.

    Only where the receiver is an assignment by name (STATUS_RECEIVERS) and every literal is a
    status. A StrEnum equals its string, so the behaviour is unchanged; SQL binds it as its value."""
    p = Path("bot/domain/statuses.py")
    if not p.exists() or "class Status(StrEnum)" not in p.read_text(encoding="utf-8"):
        return
    values = set(re.findall(r'^    [A-Z_]+ = "([a-z_]+)"', p.read_text(encoding="utf-8"), re.M))
    total, files = 0, 0
    for f in sh("git", "ls-files", *STATUS_SCOPE).split():
        if not f.endswith(".py") or f in STATUS_SKIP or not Path(f).exists():
            continue
        text = Path(f).read_text(encoding="utf-8")
        tree = ast.parse(text)
        rw = PyRewriter(f, text)
        consts: list[ast.Constant] = []

        def receiver_ok(node: ast.AST) -> bool:
            return (isinstance(node, ast.Attribute) and node.attr == "status"
                    and STATUS_RECEIVERS.match(ast.unparse(node.value)) is not None)

        def literals(node: ast.AST) -> list[ast.Constant] | None:
            elts = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
            if all(isinstance(e, ast.Constant) and e.value in values for e in elts):
                return elts  # type: ignore[return-value]
            return None

        for n in ast.walk(tree):
            if isinstance(n, ast.Compare) and len(n.ops) == 1 and receiver_ok(n.left):
                if isinstance(n.ops[0], ast.Eq | ast.NotEq) and isinstance(n.comparators[0], ast.Constant):
                    got = literals(n.comparators[0])
                elif isinstance(n.ops[0], ast.In | ast.NotIn) and isinstance(n.comparators[0], ast.Tuple | ast.List | ast.Set):
                    got = literals(n.comparators[0])
                else:
                    got = None
                consts += got or []
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "in_"
                  and receiver_ok(n.func.value) and len(n.args) == 1
                  and isinstance(n.args[0], ast.Tuple | ast.List | ast.Set)):
                consts += literals(n.args[0]) or []
        if not consts:
            continue
        for c in consts:
            s, e = rw.seg(c)
            rw.edits.append(Edit(s, e, f"Status.{str(c.value).upper()}"))
        last_imp = max((n.end_lineno or 0 for n in tree.body if is_import_block(n)), default=0)
        line_end = rw.offsets[last_imp]
        rw.edits.append(Edit(line_end, line_end, "from bot.domain.statuses import Status\n"))
        rw.edits.sort(key=lambda ed: ed.start)
        new = text
        for ed in reversed(rw.edits):
            new = new[:ed.start] + ed.text + new[ed.end:]
        write(f, new)
        total += len(consts)
        files += 1
    say(f"Statuses: {total} status literals compared with an assignment's .status -> Status members, in {files} files")


# ----------------------------------------------------------------------------- main


def leftovers() -> None:
    gone = [o for o in MM.olds() if not Path(path_of(o)).exists() and not Path(o.replace(".", "/")).is_dir()]
    pats = [rf"(?<![\w.]){re.escape(o)}\b" for o in gone]
    pats += [re.escape(path_of(o)) for o in gone]
    if not pats:
        return
    res = subprocess.run(["git", "grep", "-nE", "|".join(pats), "--", *SCOPE_DIRS, *TOP_FILES],
                         capture_output=True, text=True)
    hits = [h for h in res.stdout.splitlines() if "/data/" not in h]
    if hits:
        warn(f"{len(hits)} mentions of old module names or paths remain:")
        for h in hits[:40]:
            print("   ", h[:200])


def main() -> None:
    global DRY
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    ap.add_argument("--allow-dirty", action="store_true", help="run on a tree with uncommitted changes")
    args = ap.parse_args()
    DRY = args.dry_run
    if not Path("bot/__init__.py").exists() or not Path("pyproject.toml").exists():
        sys.exit("run from the repository root")
    if Path("bot/domain").exists():
        sys.exit("bot/domain/ exists: the regroup ran already (refusing to run twice)")
    if not args.allow_dirty and not DRY and sh("git", "status", "--porcelain", "--untracked-files=no").strip():
        sys.exit("the tree has uncommitted changes; commit or stash them first (or --allow-dirty)")
    ruff = Path(".venv/bin/ruff")
    if not ruff.exists():
        sys.exit("no .venv/bin/ruff: run `make setup` first")

    do_moves(plan_moves())
    for split in SPLITS:
        split_module(split)
    if DRY:
        print("\n(dry run: nothing changed)")
        return
    rewrite_all()
    routers_step()
    move_tests()
    statuses_step()
    status_literals()

    py = sorted(p for p in touched if p.endswith(".py") and Path(p).exists())
    subprocess.run([str(ruff), "check", "--fix", "--quiet", *py])
    # the new modules were assembled from pieces: format them (the project does not format the rest yet)
    say(f"ruff check --fix on {len(py)} touched Python files")
    leftovers()
    remaining = [p for p in flat_modules() if Path(p).stem not in KEEP_FLAT and not Path(p).stem.startswith(KEEP_FLAT_PREFIXES)]
    print("\n==== summary")
    for line in summary:
        print(line)
    print(f"flat modules left in bot/: {', '.join(Path(p).name for p in flat_modules())}")
    if remaining:
        print(f"  (not in a layer: {', '.join(remaining)})")
    if warnings:
        print(f"\n{len(warnings)} warning(s):")
        for w in warnings:
            print("  -", w)
    print("\nNext: .venv/bin/pip install -e '.[dev]' -q (new packages), make test, git add -A, git commit")


if __name__ == "__main__":
    main()
