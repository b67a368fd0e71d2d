"""`{name}` templates over plain dicts. Unknown names are an error; other braces are left alone."""

from __future__ import annotations

import re
from typing import Any

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|\d+)\}")


def lookup(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, (list, tuple)) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(dotted)
    return value


def render(template: str, values: dict[str, Any]) -> str:
    """Replace each `{field}` with its value; raise KeyError naming the first unknown field."""

    def sub(m: re.Match[str]) -> str:
        value = lookup(values, m.group(1))
        return "" if value is None else str(value)

    return _FIELD.sub(sub, template)
