"""The built-in carrier adapters, each registered as a ``numbers_core.providers`` entry point."""
