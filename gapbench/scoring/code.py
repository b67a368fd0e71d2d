"""From a model's answer to a runnable program: extract the code, add the stub's header and the tests."""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)(?:```|$)", re.S)
_HEADER = {
    "python": re.compile(r"^(?:import |from \S+ import )"),
    "cpp": re.compile(r"^(?:#include|using namespace)"),
    "java": re.compile(r"^import "),
    "js": re.compile(r"^(?:const \w+ = require|import )"),
    "go": re.compile(r"^import "),
    "rust": re.compile(r"^use "),
}


def extract_code(text: str, entry_point: str = "", language: str = "python") -> str:
    """The code in an answer: the fenced block that defines the entry point, else one that mentions it,
    else the longest block; an answer without fences is taken as code, as base models continue the stub."""
    blocks = [m.group(2) for m in _FENCE.finditer(text)]
    if not blocks:
        return text
    defining = [b for b in blocks if entry_point and defines(b, entry_point, language)]
    mentioning = [b for b in blocks if entry_point and re.search(rf"\b{re.escape(entry_point)}\b", b)]
    return max(defining or mentioning or blocks, key=len)


def defines(code: str, entry_point: str, language: str) -> bool:
    """Whether the code holds a whole definition of the entry point (not just a body to append)."""
    patterns = {
        "python": rf"^\s*def\s+{re.escape(entry_point)}\s*\(",
        "js": rf"(?:function\s+{re.escape(entry_point)}\s*\(|(?:const|let|var)\s+{re.escape(entry_point)}\s*=)",
        "java": r"\bclass\s+Solution\b",
    }
    pattern = patterns.get(language, rf"\b{re.escape(entry_point)}\s*\([^;]*\)\s*\{{")
    return re.search(pattern, code, re.M) is not None


def header_of(stub: str, language: str) -> str:
    rule = _HEADER.get(language)
    return "\n".join(line for line in stub.splitlines() if rule and rule.match(line.strip()))


def build_program(stub: str, answer: str, test: str, entry_point: str, language: str, check: str = "") -> str:
    """Stub + completion when the model continued the stub; header + its own definition otherwise.

    Python keeps the whole stub before a full definition: the stub's docstring-only function is valid
    and is replaced by the model's, and helper functions defined in the stub stay available."""
    code = extract_code(answer, entry_point, language)
    if not defines(code, entry_point, language):
        if language == "python" and code and not code.startswith((" ", "\t")):
            code = "    " + code  # a body whose first line lost its indent when the answer was stripped
        body = stub + code
    elif language == "python":
        body = f"{stub}\n\n{code}"
    else:
        body = f"{header_of(stub, language)}\n{code}"
    return f"{body}\n\n{test}\n{check}"
