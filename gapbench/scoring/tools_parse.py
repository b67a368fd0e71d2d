"""Function calls out of a response: parsed from text (method `prompt`) or read from the provider's native
tool calls (method `tools`). A call is (name, {parameter: value}).

Text calls follow BFCL's and ACEBench's prompt format, `[func(a=1, b='x'), other(c=[1, 2])]`, read with
Python's `ast` (never executed): literals become values, a bare name becomes its text (`true` -> "true"),
a nested call without keywords its source text. For Java and JavaScript items (BFCL) every value is
kept as the text the model wrote, as BFCL's prompt asks for values "in string representation";
gapbench.scoring.tools_lang converts them to typed values for the checker.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

from gapbench.models.http import tool_calls_in
from gapbench.models.reasoning import split_reasoning
from gapbench.tasks.prompts import tool_name
from gapbench.types import Response

Call = tuple[str, dict[str, Any]]
_FENCE = re.compile(r"^```[A-Za-z0-9_+-]*\s*\n?(.*?)\n?```\s*$", re.S)
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.Pow: operator.pow, ast.Mod: operator.mod, ast.FloorDiv: operator.floordiv}


class NotACall(ValueError):
    """The text is not a list of function calls."""


def _value(node: ast.AST, source: str) -> Any:
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand, source)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.List):
        return [_value(v, source) for v in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(v, source) for v in node.elts)
    if isinstance(node, ast.Set):
        return [_value(v, source) for v in node.elts]
    if isinstance(node, ast.Dict):
        return {_value(k, source) if k is not None else "**": _value(v, source) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:  # 3*4, 10**6, 2/3: worked out, never eval'd
        left, right = _value(node.left, source), _value(node.right, source)
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (left, right)):
            try:
                return _ARITH[type(node.op)](left, right)
            except (ArithmeticError, OverflowError):
                pass
    if isinstance(node, ast.Call) and node.keywords:
        return dict([_call(node, source)])
    return ast.get_source_segment(source, node) or ast.unparse(node)  # a name, attribute or call: its text


def _call(node: ast.Call, source: str, raw_values: bool = False) -> Call:
    name = ast.unparse(node.func)
    args: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise NotACall(f"**kwargs in a call to {name}")
        if raw_values:
            value = kw.value.value if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str) \
                else (ast.get_source_segment(source, kw.value) or ast.unparse(kw.value))
        else:
            value = _value(kw.value, source)
        args[kw.arg] = value
    return name, args


def parse_text_calls(text: str, raw_values: bool = False) -> list[Call]:
    """Calls written as `[f(a=1), g(b=2)]` (brackets optional, code fences allowed). Raises NotACall."""
    text, _ = split_reasoning(text)
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    text = text.strip("`\n ").strip("'")
    if not text:
        raise NotACall("empty answer")
    if not text.startswith("["):
        text = "[" + text
    if not text.endswith("]"):
        text += "]"
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError) as e:
        raise NotACall(f"not Python call syntax: {e}") from None
    body = tree.body
    elements = [body] if isinstance(body, ast.Call) else getattr(body, "elts", None)
    if not elements or not all(isinstance(e, ast.Call) for e in elements):
        raise NotACall("not a list of function calls")
    return [_call(e, text, raw_values) for e in elements]


def native_calls(response: Response, function_names: list[str]) -> list[Call]:
    """The provider's native calls (fresh, or from the stored raw payload), names mapped back to the docs'
    names (BFCL's `math.factorial` travels as `math_factorial`). Unparseable arguments stay a string."""
    calls = response.tool_calls or tool_calls_in(response.raw)
    back = {tool_name(n): n for n in function_names}
    return [(back.get(c.name, c.name), c.arguments) for c in calls]


def calls_of(response: Response, method: str, function_names: list[str], raw_values: bool = False) -> list[Call]:
    """The calls of one answer. Raises NotACall when a `prompt` answer is not a list of calls."""
    if method == "tools":
        return native_calls(response, function_names)
    return parse_text_calls(response.text, raw_values)


def show_calls(calls: list[Call], limit: int = 300) -> str:
    """A short text of the calls, for the `extracted` column."""
    return "; ".join(f"{name}({args!r})" for name, args in calls)[:limit]
