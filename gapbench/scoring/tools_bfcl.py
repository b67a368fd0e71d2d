"""BFCL's AST check of function calls against `possible_answer`, written anew from its documented rules
(bfcl_eval's ast_checker is Apache-2.0; gapbench does not depend on it: the package pins numpy 1.26 and
pulls in a dozen vendor SDKs, vLLM extras, FAISS and sentence-transformers).

A call is correct when the function name matches, every required parameter is given, no parameter
outside the docs or the answer is given, each value has the declared type (int accepted for float;
a value of the answer's own type where the answer names a variable), and each value is one of the
listed acceptable values: strings compared after dropping spaces and `,./-_*^` and lower-casing, lists
element-wise, dicts key by key; "" among the values means the parameter may be left out. The number of
calls must equal the number of expected calls, and they are matched order-free (parallel categories),
greedily in the expected order as BFCL does. Irrelevance: correct when the model makes no call.
"""

from __future__ import annotations

import re
from typing import Any

from gapbench.scoring.tools_lang import convert_args, python_type
from gapbench.scoring.tools_parse import Call

_STRIP = re.compile(r"[ ,./\-_*^]")


def standardise(text: str) -> str:
    return _STRIP.sub("", text).lower().replace("'", '"')


def _std(value: Any) -> Any:
    return standardise(value) if isinstance(value, str) else value


def _answer_type(possible: list) -> type | None:
    return next((type(a) for a in possible if a != ""), None)


def _type_error(param: str, value: Any, possible: list, expected: type | None,
                item_expected: type | None) -> tuple[str | None, bool]:
    """(error or None, whether the answer holds a variable name instead of a value of the declared type)."""
    answer_type = _answer_type(possible)
    is_variable = answer_type is not None and answer_type is not expected
    if expected is not None and type(value) is expected:
        if item_expected is None:
            return None, is_variable
        for alt in possible:
            if not isinstance(alt, list) or all(_type_error(param, v, alt, item_expected, None)[0] is None for v in value):
                return None, is_variable
        return f"wrong type for {param!r}: expected {expected.__name__} of {item_expected.__name__}", False
    if answer_type is not None and type(value) is answer_type:
        return None, True
    want = expected.__name__ if expected else "?"
    return f"wrong type for {param!r}: expected {want}, got {type(value).__name__} ({value!r:.60})", False


def _dict_ok(value: dict, possible: list) -> bool:
    for alt in possible:
        if alt == "" or not isinstance(alt, dict):
            continue
        if all(k in alt and _std(v) in [_std(a) for a in alt[k]] for k, v in value.items()) \
                and all(k in value or "" in alt[k] for k in alt):
            return True
    return False


def _list_of_dicts_ok(value: list, possible: list) -> bool:
    return any(isinstance(alt, list) and len(alt) == len(value)
               and all(isinstance(v, dict) and _dict_ok(v, [a]) for v, a in zip(value, alt)) for alt in possible)


def _value_error(param: str, value: Any, possible: list, expected: type | None, item_expected: type | None) -> str | None:
    if expected is dict:
        ok = _dict_ok(value, possible)
    elif expected is list and item_expected is dict:
        ok = _list_of_dicts_ok(value, possible)
    elif expected is str:
        ok = standardise(value) in [standardise(a) for a in possible if isinstance(a, str)]
    elif expected is list:
        ok = [_std(v) for v in value] in [[_std(x) for x in a] for a in possible if isinstance(a, list)]
    else:
        ok = value in possible
    return None if ok else f"wrong value for {param!r}: {value!r:.80} not in {possible!r:.120}"


def check_call(doc: dict, call: Call, answer: dict, language: str = "python") -> str | None:
    """None when one call matches one expected call ({name: {param: [acceptable values]}}), else why not."""
    name, args = call
    if name != doc["name"]:
        return f"wrong function {name!r}, expected {doc['name']!r}"
    if not isinstance(args, dict):
        return f"arguments of {name} are not a JSON object: {args!r:.80}"
    expected_args = next(iter(answer.values()))
    params = doc.get("parameters") or {}
    props = params.get("properties") or {}
    for p in params.get("required") or []:
        if p not in args:
            return f"missing required parameter {p!r}"
    if language != "python":
        not_text = [p for p, v in args.items() if not isinstance(v, str)]
        if not_text:
            return f"{language} values must be given as text: {not_text[0]!r} is {type(args[not_text[0]]).__name__}"
    typed = convert_args(args, props, language)
    for p, value in typed.items():
        if p not in props or p not in expected_args:
            return f"unexpected parameter {p!r}"
        kind = props[p].get("type", "any")
        expected = python_type(kind, language)
        item_kind = (props[p].get("items") or {}).get("type") if kind in ("array", "tuple", "Array", "ArrayList") else None
        item_expected = python_type(item_kind, language) if item_kind else None
        if isinstance(value, tuple):
            value = list(value)
        if language == "python" and kind == "float" and type(value) is int:
            value = float(value)
        error, is_variable = _type_error(p, value, expected_args[p], expected, item_expected)
        if error:
            return error
        if is_variable:
            error = None if value in expected_args[p] else f"wrong value for {p!r}: {value!r:.80}"
        else:
            error = _value_error(p, value, expected_args[p], expected, item_expected)
        if error:
            return error
    for p, possible in expected_args.items():
        if p not in typed and "" not in possible:
            return f"missing parameter {p!r} (not optional in the answer)"
    return None


def check_calls(docs: list[dict], calls: list[Call], answers: list[dict], language: str = "python") -> str | None:
    """None when the calls match the expected calls one to one, in any order; else the first reason why not."""
    if len(calls) != len(answers):
        return f"wrong number of calls: {len(calls)}, expected {len(answers)}"
    by_name = {d["name"]: d for d in docs}
    matched: set[int] = set()
    for answer in answers:
        name = next(iter(answer))
        doc = by_name.get(name)
        if doc is None:
            return f"expected function {name!r} is not among the item's functions"
        reasons = []
        for i, call in enumerate(calls):
            if i in matched:
                continue
            reason = check_call(doc, call, answer, language)
            if reason is None:
                matched.add(i)
                break
            reasons.append(reason)
        else:
            return f"no call matches {name}: {reasons[0] if reasons else 'all calls used'}"
    return None
