"""What to install for an optional part: the extra's name, as pip takes it from the index and from a clone."""

from __future__ import annotations

__all__ = ["install_hint", "missing_extra"]


def install_hint(extra: str) -> str:
    """``pip install 'numbers-core[postgres]'``, and the form that works from a clone of the source."""
    return f"pip install 'numbers-core[{extra}]' (from a clone of the source: pip install '.[{extra}]')"


def missing_extra(what: str, extra: str, exc: ImportError) -> ImportError:
    """One ImportError that names the extra to install instead of the module that was missing."""
    missing = f" ({exc.name} is not installed)" if exc.name else ""
    return ImportError(f"{what} needs the {extra} extra{missing}: {install_hint(extra)}", name=exc.name)
