"""A CJK font for matplotlib that works on a plain pip install.

Order of search:
1. ``DUBAN_CJK_FONT`` environment variable (path to an .otf/.ttf/.ttc file), if set;
2. Noto Sans CJK SC shipped inside the ``mplfonts`` package (``mplfonts/fonts/``);
3. Debian/Ubuntu ``fonts-noto-cjk`` (``/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc``) and
   a few other common system locations.

The file is registered with ``matplotlib.font_manager.fontManager.addfont`` (once per process);
``cjk_font_name()`` returns the family name to use. Nothing here touches global rcParams, and
``mplfonts`` itself is never imported (only its data directory is located).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import threading
from functools import lru_cache
from pathlib import Path

ENV_VAR = "DUBAN_CJK_FONT"

_MPLFONTS_FILES = (
    "NotoSansCJKsc-Regular.otf",
    "SourceHanSansSC-Regular.otf",
    "SimHei.ttf",
)

_SYSTEM_PATTERNS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-*.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-*.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)

# Preferred family for a collection (.ttc) holding several CJK faces.
_PREFERRED_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")

_lock = threading.Lock()


class CJKFontNotFoundError(RuntimeError):
    """No usable CJK font: the chart would show boxes instead of Chinese."""


def _mplfonts_dir() -> Path | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        d = Path(loc) / "fonts"
        if d.is_dir():
            return d
    return None


def candidate_font_paths() -> list[Path]:
    """Existing font files in search order (see module doc)."""
    found: list[Path] = []
    env = os.environ.get(ENV_VAR)
    if env and Path(env).is_file():
        found.append(Path(env))
    d = _mplfonts_dir()
    if d is not None:
        found += [d / name for name in _MPLFONTS_FILES if (d / name).is_file()]
    for pattern in _SYSTEM_PATTERNS:
        found += [Path(p) for p in sorted(glob.glob(pattern))]
    return list(dict.fromkeys(found))  # de-duplicated, order kept


def _real_font_file(path: Path) -> bool:
    """Reject Git-LFS pointers and truncated downloads (a CJK font is megabytes)."""
    try:
        return path.stat().st_size > 1_000_000
    except OSError:
        return False


def _register(path: Path) -> str:
    from matplotlib import font_manager, ft2font

    font = ft2font.FT2Font(str(path))
    families = [font.family_name]
    for i in range(1, getattr(font, "num_faces", 1)):
        families.append(ft2font.FT2Font(str(path), face_index=i).family_name)
    known = {f.fname for f in font_manager.fontManager.ttflist}
    if str(path) not in known:
        font_manager.fontManager.addfont(str(path))
    for fam in _PREFERRED_FAMILIES:
        if fam in families:
            return fam
    return families[0]


@lru_cache(maxsize=1)
def _resolve() -> tuple[str, str]:
    errors: list[str] = []
    for path in candidate_font_paths():
        if not _real_font_file(path):
            errors.append(f"{path}: not a real font file")
            continue
        try:
            return _register(path), str(path)
        except Exception as exc:  # a broken file: try the next one
            errors.append(f"{path}: {exc}")
    detail = ("; ".join(errors)) if errors else "no candidate files"
    raise CJKFontNotFoundError(
        "No CJK font found for charts. Install the Python package 'mplfonts' (ships Noto Sans CJK SC), "
        f"or the system package 'fonts-noto-cjk', or set {ENV_VAR}=/path/to/font.otf ({detail})."
    )


def cjk_font_name() -> str:
    """Family name of the registered CJK font (e.g. "Noto Sans CJK SC"); raises CJKFontNotFoundError."""
    with _lock:
        return _resolve()[0]


def cjk_font_path() -> str:
    """Path of the font file behind ``cjk_font_name()``."""
    with _lock:
        return _resolve()[1]


__all__ = ["ENV_VAR", "CJKFontNotFoundError", "candidate_font_paths", "cjk_font_name", "cjk_font_path"]
