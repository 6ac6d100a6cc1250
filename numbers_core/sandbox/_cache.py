"""Tables the sandbox derives from phonenumbers, kept between runs in the user's cache directory.

Deriving the areas of a country's local numbers reads all of phonenumbers'
geocoding data, most of a second that every ``numbers search`` run would pay
again. A table is stored with a key naming everything it was derived from; a
table whose key differs, or that cannot be read or written, is derived anew:
the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

__all__ = ["load", "store"]


def _path(name: str) -> Path:
    return Path(platformdirs.user_cache_dir("numbers-core")) / f"{name}.json"


def load(name: str, key: str) -> Any:
    """The value stored as ``name`` under ``key``; None when there is none."""
    try:
        with _path(name).open("rb") as file:
            stored = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("value")


def store(name: str, key: str, value: Any) -> None:
    """Keep ``value`` as ``name`` under ``key``; a cache that cannot be written is skipped."""
    path = _path(name)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a run reading the table never sees half of it.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump({"key": key, "value": value}, file, separators=(",", ":"))
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
