"""OpenAPI 3.0 schemas as JSON Schema validators read them: shared by the adapters' spec checks."""

from __future__ import annotations

from typing import Any

__all__ = ["nullable"]


def nullable(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema says it: null is one of the types."""
    if isinstance(node, list):
        return [nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable(value) for key, value in node.items()}
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
    return node
