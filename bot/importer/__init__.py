"""The importer: policy document → measures → tasks (pure library: no database, no Telegram).

Public API::

    read_document(path) -> str
    decompose(text, directory, horizon=None) -> Decomposition
    diff_decompositions(old, new) -> DecompositionDiff
"""

from __future__ import annotations

from .decompose import decompose
from .diff import DecompositionDiff, TaskChange, TaskKey, diff_decompositions
from .errors import DocumentError
from .models import Decomposition, Measure, PolicyInfo, Task, UnitRef, text_fingerprint
from .reader import decode_text, read_document
from .warning import ImporterWarning, Where

__all__ = [
    "Decomposition",
    "DecompositionDiff",
    "DocumentError",
    "ImporterWarning",
    "Measure",
    "PolicyInfo",
    "Task",
    "TaskChange",
    "TaskKey",
    "UnitRef",
    "Where",
    "decode_text",
    "decompose",
    "diff_decompositions",
    "read_document",
    "text_fingerprint",
]
