"""Builds aiogram's Bot API types leaves-first, which more than halves `import aiogram`.

aiogram/types/__init__.py ends by calling `model_rebuild()` on each of its ~600 types in the order
of `__all__`. The types are declared with `defer_build` and name each other in their annotations,
so building one type generates inline every type it refers to that is not built yet, and pydantic
does not keep those inline builds: the same nested types are generated again for every type that
refers to them (about 3,300 field collections for 600 models; pydantic issue #13681, aiogram
issue #1891). When the types a type refers to are built first, pydantic reuses them. On the
project's 2-core machine `import aiogram` went from about 3.2 s to about 1.4 s, most of `duban run`'s
start-up. The models are the same either way (tests/test_aiogram_types.py compares their schemas).

`install()` adds an import hook for the module `aiogram.types` only. If that module ends with the
loop this was written against, one statement goes in front of the loop: it builds the same
models, with the same namespace, through the same public `model_rebuild`, in dependency order;
aiogram's own loop then finds every model built. If the text differs (another aiogram release),
the module loads unchanged and only the speed-up is lost; the test fails then, so an upgrade
cannot lose it unnoticed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import logging
import re
import sys
import typing
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

# The end of aiogram/types/__init__.py as of aiogram 3.31.
AIOGRAM_LOOP = '''for _entity_name in __all__:
    _entity = globals()[_entity_name]
    if hasattr(_entity, "model_rebuild"):
        _entity.model_rebuild(_types_namespace=_types_namespace)
'''
# One line, so line numbers in tracebacks from the rest of the module stay right.
_PREPEND = ("import bot.aiogram_types as _duban_types; "
            "_duban_types.build_in_order(_types_namespace, __all__); del _duban_types\n")

# Set once the ordered build has run in this process (the test checks it).
applied = False

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _references(namespace: dict[str, Any], names: Sequence[str]) -> dict[str, set[str]]:
    """For each model, the other models its annotations (strings, forward refs, unions) name."""
    from pydantic import BaseModel

    models = {n: namespace[n] for n in names
              if isinstance(namespace.get(n), type) and issubclass(namespace[n], BaseModel)}
    name_of = {cls: n for n, cls in models.items()}

    def walk(obj: Any, found: set[str], seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, type):
            if obj in name_of:
                found.add(name_of[obj])
        elif isinstance(obj, str):
            for token in _IDENTIFIER.findall(obj):
                if token in models:
                    found.add(token)
                elif token in namespace:  # an alias such as a union of types
                    walk(namespace[token], found, seen)
        elif isinstance(obj, typing.ForwardRef):
            walk(obj.__forward_arg__, found, seen)
        else:
            value = getattr(obj, "__value__", None)  # `type X = ...` aliases
            if value is not None:
                walk(value, found, seen)
            for arg in typing.get_args(obj):
                walk(arg, found, seen)

    references: dict[str, set[str]] = {}
    for name, cls in models.items():
        found: set[str] = set()
        for klass in cls.__mro__:
            if isinstance(klass, type) and issubclass(klass, BaseModel) and klass is not BaseModel:
                for annotation in inspect.get_annotations(klass).values():
                    walk(annotation, found, set())
        found.discard(name)
        references[name] = found
    return references


def _components(references: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components, those referred to before those referring (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(references[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            out.append(component)

    for name in references:
        if name not in index:
            visit(name)
    return out


def build_order(references: dict[str, set[str]]) -> list[str]:
    """Leaves first. Inside a cycle (Message and Chat refer to each other, and so on) the member
    most referred to by the others goes first, then the rest of the cycle in the same way."""
    order: list[str] = []
    for component in _components(references):
        if len(component) == 1:
            order.extend(component)
            continue
        members = set(component)
        hub = max(sorted(members), key=lambda n: sum(n in references[m] for m in members))
        rest = members - {hub}
        order.append(hub)
        order.extend(build_order({n: references[n] & rest for n in rest}))
    return order


def build_in_order(namespace: dict[str, Any], names: Sequence[str]) -> None:
    """Never fails the import: whatever this does not build, aiogram's own loop builds next."""
    global applied
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 5000))  # the walk and the components recurse along references
    try:
        for name in build_order(_references(namespace, names)):
            namespace[name].model_rebuild(_types_namespace=namespace)
    except Exception:
        logging.getLogger(__name__).warning("ordered build of aiogram's types failed; aiogram builds them",
                                            exc_info=True)
        return
    finally:
        sys.setrecursionlimit(limit)
    applied = True


class _Loader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:  # type: ignore[override]
        source = importlib.util.decode_source(self.get_data(self.path))
        if source.count(AIOGRAM_LOOP) != 1:
            return super().get_code(fullname)  # type: ignore[return-value]
        return compile(source.replace(AIOGRAM_LOOP, _PREPEND + AIOGRAM_LOOP), self.path, "exec",
                       dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "aiogram.types":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader and spec.origin:
            spec.loader = _Loader(fullname, spec.origin)
        return spec


def install() -> bool:
    """Call before anything imports aiogram; False if it is too late (already imported)."""
    if "aiogram.types" in sys.modules:
        return False
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    return True
