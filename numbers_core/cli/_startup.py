"""What the ``numbers`` process leaves unloaded at its start: code that its libraries import
eagerly but that none of its commands runs, or runs only later.

Only the console script calls :func:`prepare`, before anything else is imported: a program that
imports numbers_core keeps its imports as they are.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec

__all__ = ["prepare"]


def prepare() -> None:
    # httpx imports its own command line whenever click is installed (the emulator's uvicorn brings
    # it): click, pygments and rich's tables, syntax and progress, 40 ms of CPU. No command of this
    # one runs httpx's. A None in sys.modules makes that import fail (the import system's own way
    # to block one), and httpx.main is then a stub saying how to install it.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    # httpcore imports trio whenever it is installed, to use it if it runs the event loop: 55 ms of
    # CPU, while the commands run on asyncio. trio is loaded when a name of it is first asked for.
    _defer("trio")


_LOADING = threading.Lock()
# The deferred modules not run yet, by name: their spec, and its loader.
_WAITING: dict[str, tuple[ModuleSpec, Loader]] = {}


class _Deferred(types.ModuleType):
    """A module whose code runs when a name of it is first asked for, not when it is imported.

    The import system reads only ``__spec__`` (set) of a module it finds in sys.modules, and a
    submodule's import asks for ``__path__``, which is held back until the package has run.
    """

    def __getattr__(self, name: str) -> object:
        with _LOADING:
            waiting = _WAITING.pop(self.__name__, None)
            if waiting is not None:
                spec, loader = waiting
                # An ordinary module from here on (as importlib.util.LazyLoader does; it loads on
                # any attribute, __spec__ too, which every import statement reads).
                self.__class__ = types.ModuleType  # type: ignore[assignment]
                if spec.submodule_search_locations is not None:
                    self.__path__ = spec.submodule_search_locations
                loader.exec_module(self)
        return getattr(self, name)


def _defer(name: str) -> None:
    """Put ``name`` in sys.modules unrun, if it is installed and not imported yet."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__dict__.pop("__path__", None)
    module.__class__ = _Deferred
    _WAITING[name] = spec, spec.loader
    sys.modules[name] = module
