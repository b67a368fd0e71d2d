"""Java and JavaScript argument values, written by the model as text, converted to typed values the way
BFCL's checker reads them (its rules, written anew): Java `long` needs an L suffix, `float` an f suffix,
`boolean` is `true`/`false`; collections are `new ArrayList<>(Arrays.asList(…))`, `new int[]{…}` or
`new HashMap<…>() {{ put(k, v); … }}`; JavaScript arrays and objects are literals. Text that does not
convert stays a string, so it then fails the type or value check.
"""

from __future__ import annotations

import json
import re
from typing import Any

JAVA_TYPES = {"byte": int, "short": int, "integer": int, "float": float, "double": float, "long": int,
              "boolean": bool, "char": str, "Array": list, "ArrayList": list, "HashMap": dict, "Hashtable": dict,
              "Queue": list, "Stack": list, "String": str, "any": str}
JS_TYPES = {"String": str, "integer": int, "float": float, "Bigint": int, "Boolean": bool, "dict": dict,
            "array": list, "any": str}
_INT = re.compile(r"^-?\d+$")
_NUM = r"-?\d+(\.\d+)?([eE][+-]?\d+)?"


def _split_top(text: str) -> list[str]:
    """Comma-separated items at nesting depth 0 (quotes and brackets respected)."""
    items, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    tail = "".join(current).strip()
    return items + ([tail] if tail else [])


def _inside(text: str, opening: str) -> str | None:
    """What stands between the bracket that `opening` ends with and its matching closing bracket."""
    m = re.search(opening, text, re.S)
    if m is None:
        return None
    depth, start = 0, m.end()
    for i in range(m.end() - 1, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def java_value(text: Any, kind: str, item_kind: str | None = None) -> Any:
    if not isinstance(text, str) or kind not in JAVA_TYPES:
        return text
    value = text.strip()
    if kind in ("byte", "short", "integer"):
        return int(value) if _INT.match(value) else value
    if kind == "long":
        return int(value[:-1]) if re.match(r"^-?\d+[lL]$", value) else value
    if kind == "float":
        return float(value[:-1]) if re.match(rf"^{_NUM}[fF]$", value) else value
    if kind == "double":
        return float(value) if re.match(rf"^{_NUM}$", value) else value
    if kind == "boolean":
        return value == "true" if value in ("true", "false") else value
    if kind in ("Array", "ArrayList", "Queue", "Stack"):
        inner = _inside(value, r"(?:Arrays\.asList|List\.of)\(") or _inside(value, r"^new\s+[\w<>\[\]]*\s*\{") \
            or _inside(value, r"^\[")
        if inner is None:
            return [] if re.match(r"^new\s+ArrayList<.*>\(\)$", value) else value
        return [java_value(_unquote(i) if item_kind in (None, "String", "char", "any") else i, item_kind or "String")
                for i in _split_top(inner)]
    if kind in ("HashMap", "Hashtable"):
        puts = re.findall(r"put\(\s*(\"[^\"]*\"|'[^']*'|[^,]+?)\s*,\s*(\"[^\"]*\"|'[^']*'|[^)]+?)\s*\)", value)
        if puts:
            return {_unquote(k): _unquote(v) for k, v in puts}
        m = re.search(r"Map\.of\((.*)\)", value, re.S)
        if m:
            parts = [_unquote(p) for p in _split_top(m.group(1))]
            return dict(zip(parts[::2], parts[1::2]))
        return {} if re.match(r"^new\s+Hash(Map|table)<.*>\(\)$", value) else value
    return value  # String, char, any: the text itself


def _js_literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        pass
    relaxed = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', text)  # {key: 1} -> {"key": 1}
    relaxed = re.sub(r"'([^'\\]*)'", r'"\1"', relaxed)
    try:
        return json.loads(relaxed)
    except ValueError:
        return None


def js_value(text: Any, kind: str, item_kind: str | None = None) -> Any:
    if not isinstance(text, str) or kind not in JS_TYPES:
        return text
    value = text.strip()
    if kind in ("integer", "Bigint"):
        return int(value.rstrip("n")) if re.match(r"^-?\d+n?$", value) else value
    if kind == "float":
        return float(value) if re.match(rf"^{_NUM}$", value) else value
    if kind == "Boolean":
        return value == "true" if value in ("true", "false") else value
    if kind in ("array", "dict"):
        parsed = _js_literal(value)
        wanted = list if kind == "array" else dict
        return parsed if isinstance(parsed, wanted) else value
    return value


def convert_args(args: dict[str, Any], properties: dict[str, Any], language: str) -> dict[str, Any]:
    """Every argument converted by its declared Java/JavaScript type (Python: unchanged)."""
    if language == "python":
        return args
    convert = java_value if language == "java" else js_value
    out = {}
    for name, value in args.items():
        doc = properties.get(name) or {}
        item = (doc.get("items") or {}).get("type")
        out[name] = convert(value, doc.get("type", "any"), item)
    return out


def python_type(kind: str, language: str) -> type | None:
    table = {"java": JAVA_TYPES, "javascript": JS_TYPES}.get(language)
    if table is not None:
        return table.get(kind)
    return {"string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
            "dict": dict, "any": str}.get(kind)
