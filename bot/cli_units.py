"""`duban units import FILE` and `duban units export [FILE]`: an office loads, corrects and takes
out its own unit directory (.xlsx or .csv: 单位名称, 简称, 类别, 上级单位)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.i18n import normalise_language, t
from bot.importer.unit_files import (
    UnitFileError,
    read_office_units,
    read_unit_table,
    save_office_units,
    write_unit_table,
)
from config.directory import overlay

if TYPE_CHECKING:
    from bot.app import App


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


async def cmd_units_import(app: App, args: argparse.Namespace) -> int:
    from bot.app import office_directory
    from bot.services.units import sync_directory

    lang = normalise_language(app.settings.default_language)
    path = app.settings.office_units_path()
    if path is None:
        return _fail(t(lang, "cli.units.no_file"))
    known = [a for u in (*app.directory.units, *app.directory.reserve) for a in (u.name, *u.aliases)]
    try:
        rows = read_unit_table(args.file, known=known)
    except UnitFileError as exc:
        return _fail(t(lang, "cli.units.import_failed", reason=exc.text(lang)))
    before = {u.name for u in app.directory.units}
    stored = [] if args.replace else read_office_units(path)
    merged, _ = overlay(stored, [], rows, lambda name: app.directory.normalize(name))
    save_office_units(path, merged)
    app.directory = office_directory(app.settings)
    async with app.work() as uow:
        added = await sync_directory(uow, app.directory, "cli:units", correct=True)
    new = [u.name for u in rows if u.name not in before]
    print(t(lang, "cli.units.loaded", count=len(rows), new=len(new), path=path))
    if added:
        print(t(lang, "cli.units.db_added", added=added))
    return 0


async def cmd_units_export(app: App, args: argparse.Namespace) -> int:
    lang = normalise_language(app.settings.default_language)
    try:
        text = write_unit_table(app.directory.units, args.file)
    except UnitFileError as exc:
        return _fail(t(lang, "cli.units.export_failed", reason=exc.text(lang)))
    except OSError as exc:
        return _fail(t(lang, "cli.units.export_unwritable", file=args.file, reason=exc.strerror))
    if text is not None:
        sys.stdout.write(text)
    else:
        print(t(lang, "cli.units.exported", count=len(app.directory.units), file=args.file), file=sys.stderr)
    return 0


def add_unit_commands(units_parser: argparse.ArgumentParser) -> None:
    """`units import` / `units export` under the existing `units` command."""
    sub = units_parser.add_subparsers(dest="action")
    p = sub.add_parser(
        "import",
        help="load or correct the office's own unit directory (.xlsx/.csv: 单位名称, 简称, 类别, 上级单位)",
    )
    p.add_argument("file")
    p.add_argument(
        "--replace", action="store_true", help="replace the rows loaded before instead of adding to them"
    )
    p.set_defaults(handler=cmd_units_import, needs_db=True)
    p = sub.add_parser(
        "export",
        help="write the office's unit directory in the same shape (.xlsx/.csv; CSV on stdout without FILE)",
    )
    p.add_argument("file", nargs="?")
    p.set_defaults(handler=cmd_units_export, needs_db=False)
