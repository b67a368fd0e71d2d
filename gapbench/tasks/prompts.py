"""Turn Samples into Requests: the same prompt for every model, so comparisons are fair."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from gapbench.errors import GapbenchError
from gapbench.types import GREEDY_SEED, LETTERS
from gapbench.tasks.spec import TaskSpec
from gapbench.tasks.template import lookup, render
from gapbench.types import Request, Sample


def sample_values(task: TaskSpec, sample: Sample) -> dict[str, Any]:
    values: dict[str, Any] = dict(sample.metadata)
    values.update(question=sample.input, answer=sample.target, id=sample.id)
    lines = []
    for letter, choice in zip(LETTERS, sample.choices):
        values[letter] = choice
        lines.append(render(task.prompt.choice_format, {"letter": letter, "choice": choice}))
    values["choices"] = "\n".join(lines)
    return values


def _render(task: TaskSpec, template: str, values: dict[str, Any], what: str) -> str:
    try:
        return render(template, values)
    except KeyError as e:
        raise GapbenchError(f"task {task.name}: prompt.{what} uses unknown field {{{e.args[0]}}}") from None


def fewshot_for(task: TaskSpec, sample: Sample, pool: list[Sample]) -> list[Sample]:
    if task.fewshot is None or task.fewshot.k == 0:
        return []
    key = task.fewshot.match
    chosen = [
        s for s in pool
        if s.input != sample.input and (key is None or s.metadata.get(key) == sample.metadata.get(key))
    ]
    return chosen[: task.fewshot.k]


def _shot_answer(task: TaskSpec, shot: Sample) -> str:
    values = sample_values(task, shot)
    if task.fewshot and task.fewshot.solution:
        values["solution"] = _render(task, task.fewshot.solution, values, "fewshot.solution")
    return _render(task, task.prompt.fewshot_answer, values, "fewshot_answer")


def _turns(task: TaskSpec, sample: Sample, shots: list[Sample]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for shot in shots:
        turns.append(("user", _render(task, task.prompt.template, sample_values(task, shot), "template").strip()))
        turns.append(("assistant", _shot_answer(task, shot)))
    turns.append(("user", _render(task, task.prompt.template, sample_values(task, sample), "template").strip()))
    if task.prompt.instruction:
        instruction = _render(task, task.prompt.instruction, sample_values(task, sample), "instruction").strip()
        turns[0] = ("user", f"{instruction}\n\n{turns[0][1]}")
    return turns


def _system(task: TaskSpec, sample: Sample) -> str | None:
    """The system text: prompt.system, or the one prompt.system_by gives for this item's field value."""
    by = task.prompt.system_by
    if by is None:
        return task.prompt.system
    return by.values.get(str(sample.metadata.get(by.field)), task.prompt.system)


def plain_prompt(task: TaskSpec, sample: Sample, shots: list[Sample]) -> str:
    """The prompt as one plain text: few-shot blocks, then the question ending in its answer cue."""
    system = _system(task, sample)
    out: list[str] = [system] if system else []
    turns = _turns(task, sample, shots)
    for i in range(0, len(turns) - 1, 2):
        out.append(f"{turns[i][1]} {turns[i + 1][1]}".rstrip() if turns[i][1].endswith((":", "：")) else f"{turns[i][1]}\n{turns[i + 1][1]}")
    out.append(turns[-1][1])
    return "\n\n".join(out)


def generate_request(task: TaskSpec, sample: Sample, shots: list[Sample], chat: bool,
                     seed: int = GREEDY_SEED) -> Request:
    """The request of a sample's first turn. Greedy tasks (temperature 0) always carry GREEDY_SEED, so their
    cache keys do not depend on --seed; sampled tasks carry the run's seed."""
    gen = task.generation
    temperature = gen.temperature
    if gen.temperature_by is not None:
        temperature = gen.temperature_by.values.get(str(sample.metadata.get(gen.temperature_by.field)), temperature)
    sampling = {"max_tokens": gen.max_tokens, "temperature": temperature,
                "seed": seed if temperature > 0 else GREEDY_SEED}
    system = _system(task, sample)
    if chat:
        messages = ([("system", system)] if system else []) + _turns(task, sample, shots)
        return Request(kind="generate", messages=tuple(messages), stop=tuple(gen.stop), **sampling)
    return Request(kind="generate", prompt=plain_prompt(task, sample, shots), stop=tuple(gen.stop) or ("\n\n",),
                   **sampling)


def loglikelihood_requests(task: TaskSpec, sample: Sample, shots: list[Sample]) -> list[Request]:
    """One request per choice: log P(continuation | context)."""
    if not sample.choices:
        raise GapbenchError(f"task {task.name}: method loglikelihood needs choices (sample {sample.id})")
    prompt = plain_prompt(task, sample, shots)
    values = sample_values(task, sample)
    requests = []
    for letter, choice in zip(LETTERS, sample.choices):
        v = {**values, "prompt": prompt, "letter": letter, "choice": choice}
        context = _render(task, task.prompt.ll_context, v, "ll_context")
        continuation = _render(task, task.prompt.ll_continuation, v, "ll_continuation")
        requests.append(Request(kind="loglikelihood", prompt=context, continuation=continuation, max_tokens=1))
    return requests


def next_turn_request(task: TaskSpec, first: Request, turns: list[str], answers: list[str]) -> Request:
    """Multi-turn chat (MT-Bench): the first request, the model's own earlier answers, then the next user turn."""
    messages = list(first.messages)
    prompt = first.prompt
    for turn, answer in zip(turns[1:], answers):
        messages += [("assistant", answer), ("user", turn)]
        prompt = f"{prompt}\n{answer}\n\n{turn}"
    if first.messages:
        return replace(first, messages=tuple(messages))
    # plain completion: the default stop at a blank line would cut every answer after its first paragraph
    return replace(first, prompt=prompt, stop=tuple(task.generation.stop))


# Function calling (methods `tools` and `prompt`) ------------------------------------------------------
# BFCL's type names -> JSON Schema (as BFCL converts its docs for native tool calling); others become string
BFCL_TO_JSON_SCHEMA = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object", "tuple": "array",
    "any": "string", "byte": "integer", "short": "integer", "long": "integer", "double": "number",
    "char": "string", "ArrayList": "array", "Array": "array", "HashMap": "object", "Hashtable": "object",
    "Queue": "array", "Stack": "array", "Any": "string", "String": "string", "Bigint": "integer", "null": "null",
}
_LANGUAGE_HINT = {"python": "Python 3", "java": "Java 8 SDK", "javascript": "JavaScript"}


def tool_name(name: str) -> str:
    """A function name as native tool calling accepts it (^[a-zA-Z0-9_-]{1,64}$: BFCL's dots become _)."""
    return name.replace(".", "_")


def _bfcl_hints(functions: list[dict], language: str) -> list[dict]:
    """BFCL's language hints: every description names the language; Java and JavaScript parameters are
    passed as strings in that language's syntax (the checker converts them back)."""
    label = {"java": "Java", "javascript": "JavaScript"}.get(language)
    for fn in functions:
        fn["description"] = fn.get("description", "") + f" Note that the provided function is in {_LANGUAGE_HINT[language]} syntax."
        for prop in fn.get("parameters", {}).get("properties", {}).values() if label else ():
            kind = prop.get("type", "any")
            prop["description"] = prop.get("description", "") + (
                f" This parameter can be of any type of {label} object in string representation." if kind == "any"
                else f" This is {label} {kind} type parameter in string representation.")
            if kind in ("ArrayList", "Array", "array") and "items" in prop:
                prop["description"] += f" The list elements are of type {prop.pop('items')['type']}; they are not in string representation."
            if language == "javascript" and kind == "dict" and "properties" in prop:
                prop["description"] += (" The dictionary entries have the following schema; they are not in string "
                                        f"representation. {json.dumps(prop.pop('properties'))}")
            prop["type"] = "string"
    return functions


def _json_schema(node: Any) -> Any:
    """BFCL's parameter docs with JSON Schema type names, recursively."""
    if isinstance(node, dict):
        out = {k: _json_schema(v) for k, v in node.items()}
        if isinstance(node.get("type"), str):
            out["type"] = BFCL_TO_JSON_SCHEMA.get(node["type"], "string")
        return out
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


def tool_docs(task: TaskSpec, sample: Sample) -> list[dict]:
    """The item's function docs as the model sees them (BFCL's language hints applied)."""
    spec = task.tools
    try:
        functions = json.loads(json.dumps(lookup(sample.metadata, spec.functions)))
    except KeyError:
        raise GapbenchError(f"task {task.name}: item {sample.id} has no field '{spec.functions}' (tools.functions)") from None
    if not isinstance(functions, list) or not all(isinstance(f, dict) and "name" in f for f in functions):
        raise GapbenchError(f"task {task.name}: item {sample.id}: tools.functions is not a list of functions")
    return _bfcl_hints(functions, spec.language) if spec.schema_types == "bfcl" else functions


def native_tools(task: TaskSpec, functions: list[dict]) -> list[dict]:
    """The functions for native tool calling: JSON Schema types, names that providers accept."""
    out = []
    for fn in functions:
        # BFCL's type names, and the few ACEBench docs that use them (dict, float, bool), as JSON Schema
        params = _json_schema(fn.get("parameters") or {"type": "object", "properties": {}})
        out.append({"name": tool_name(fn["name"]), "description": fn.get("description", ""),
                    "parameters": {**params, "type": "object"}})
    return out


def tool_request(task: TaskSpec, sample: Sample, method: str, chat: bool, seed: int = GREEDY_SEED) -> Request:
    """A function-calling request. `prompt`: the docs in the system prompt (calls parsed from the text);
    `tools`: the docs go to native tool calling, the system text (if any) carries no docs."""
    spec = task.tools
    values = sample_values(task, sample)
    functions = tool_docs(task, sample)
    docs = json.dumps(functions, indent=4) if spec.doc_format == "json" else str(functions)
    template, by = (spec.prompt_system, spec.prompt_system_by) if method == "prompt" else (spec.tools_system, spec.tools_system_by)
    if by is not None:
        template = by.values.get(str(values.get(by.field)), template)
    system = _render(task, template, {**values, "functions": docs}, f"tools.{method}_system") if template else ""
    if spec.messages:
        try:
            chat_turns = [(str(m["role"]), str(m["content"])) for m in lookup(sample.metadata, spec.messages)]
        except (KeyError, TypeError):
            raise GapbenchError(f"task {task.name}: item {sample.id}: tools.messages '{spec.messages}' "
                                "is not a list of {role, content}") from None
    else:
        chat_turns = _turns(task, sample, [])
    if system and chat_turns and chat_turns[0][0] == "system":
        chat_turns[0] = ("system", f"{system}\n\n{chat_turns[0][1]}")
    elif system:
        chat_turns.insert(0, ("system", system))
    request = replace(generate_request(task, sample, [], chat, seed), messages=tuple(chat_turns))
    if not chat:  # a base model: one plain text
        request = replace(request, messages=(), prompt="\n\n".join(c for _, c in chat_turns))
    if method == "tools":
        tools = json.dumps(native_tools(task, functions), ensure_ascii=False, sort_keys=True)
        request = replace(request, tools=tools)
    return request
