"""ACEBench's checks, written anew from its documented rules (ACEBench/ACEBench model_eval, MIT).

Normal categories (all or nothing per item): the number of calls and the multiset of function names
equal the ground truth's (its keys `f_1`, `f_2` name the same function `f` twice); for each expected
call some call of that name passes: every required parameter given, no parameter outside the docs or
the ground truth, each value of the declared type ("true"/"false" read as booleans, int accepted for
float), and each value equal to the ground truth's — strings after dropping spaces and `,./-_*^` and
lower-casing, where the expected string need only be contained in the model's; lists element-wise;
dicts key by key (same number of keys). As upstream, a ground-truth parameter the model leaves out is
not an error when it is optional. Items with several ground truths pass when any one matches.

Special categories are string checks on the raw answer: incomplete = "Missing necessary parameters",
the API name and every missing parameter; error_param = "There is incorrect value" and every wrong
value; irrelevant = "the limitations of the function".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from gapbench.scoring.tools_bfcl import standardise
from gapbench.scoring.tools_parse import Call

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "int": (int,), "float": (float,), "number": (int, float),
    "boolean": (bool,), "array": (list,), "tuple": (list,), "list": (list,), "dict": (dict,), "object": (dict,),
    "objectArray": (list,), "any": (str,),
}


def _bool(value: Any) -> Any:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def _value_ok(value: Any, expected: Any) -> bool:
    value = _bool(value)
    if isinstance(expected, dict):
        return isinstance(value, dict) and len(value) == len(expected) and all(
            k in expected and _value_ok(v, expected[k]) for k, v in value.items())
    if isinstance(expected, list):
        if not isinstance(value, (list, tuple)) or len(value) != len(expected):
            return False
        return all(_value_ok(v, e) for v, e in zip(value, expected))
    if isinstance(expected, str):
        return standardise(expected) in standardise(str(value))
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    if isinstance(expected, (int, float)) and isinstance(value, (int, float)):
        return float(value) == float(expected)
    return value == expected


def _type_ok(value: Any, kind: str, expected: Any) -> bool:
    value = _bool(value)
    allowed = _TYPES.get(kind)
    if allowed is None or (kind == "float" and type(value) is int):
        return True
    if isinstance(value, bool) and bool not in allowed:
        return type(expected) is bool  # the ground truth itself holds a boolean
    return isinstance(value, allowed) or type(value) is type(expected)


def check_call(doc: dict, call: Call, expected_args: dict) -> str | None:
    name, args = call
    if not isinstance(args, dict):
        return f"arguments of {name} are not a JSON object"
    params = doc.get("parameters") or {}
    props = params.get("properties") or {}
    if not args and not props:
        return None
    for p in params.get("required") or []:
        if p not in args:
            return f"missing required parameter {p!r} of {name}"
    for p, value in args.items():
        if p not in props or p not in expected_args:
            return f"extra parameter {p!r} of {name}"
        if not _type_ok(value, props[p].get("type", "any"), expected_args[p]):
            return f"wrong type for {p!r} of {name}: {type(value).__name__}"
        if not _value_ok(value, expected_args[p]):
            return f"wrong value for {p!r} of {name}: {value!r:.80}"
    return None


def _check_one(docs: list[dict], calls: list[Call], truth: dict) -> str | None:
    expected = [(re.sub(r"_\d+$", "", k), v) for k, v in truth.items()]
    if len(calls) != len(expected):
        return f"wrong number of calls: {len(calls)}, expected {len(expected)}"
    if Counter(n for n, _ in calls) != Counter(n for n, _ in expected):
        return f"functions {sorted(n for n, _ in calls)} differ from {sorted(n for n, _ in expected)}"
    by_name = {d["name"]: d for d in docs}
    for name, args in expected:
        doc = by_name.get(name, {"name": name, "parameters": {}})
        reasons = [check_call(doc, c, args if isinstance(args, dict) else {}) for c in calls if c[0] == name]
        if None not in reasons:
            return reasons[0]
    return None


def check_normal(docs: list[dict], calls: list[Call], truth: dict | list) -> str | None:
    """None when the calls match the ground truth (any one of several), else the first reason why not."""
    truths = truth if isinstance(truth, list) else [truth]
    reasons = [_check_one(docs, calls, t) for t in truths]
    return None if None in reasons else reasons[0]


def check_special(category: str, text: str, truth: Any) -> str | None:
    """None when the answer points out the problem in ACEBench's fixed words, else why not."""
    if "incomplete" in category:
        for api, missing in truth.items():
            if "Missing necessary parameters" not in text:
                return "does not say 'Missing necessary parameters'"
            if api not in text:
                return f"does not name the API {api}"
            absent = [m for m in missing if m not in text]
            if absent:
                return f"does not name the missing parameter {absent[0]}"
        return None
    if "error" in category:
        for _key, values in truth.items():
            if "There is incorrect value" not in text:
                return "does not say 'There is incorrect value'"
            absent = [v for v in values if v not in text]
            if absent:
                return f"does not name the incorrect value {absent[0]}"
        return None
    return None if "the limitations of the function" in text else "does not say 'the limitations of the function'"
