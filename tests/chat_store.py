"""A real SQLite store of chat answers, written through the Store API the way the runner writes them: each prompt
of a chat task has one response per turn, turn 2 asked with the model's own first answer in the messages."""

from __future__ import annotations

from pathlib import Path

from gapbench.models.base import ModelInfo
from gapbench.store.db import Store, cache_key
from gapbench.tasks.registry import get_task, task_hash
from gapbench.types import Request, Response, Score

HOSTILE = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'


def info(name: str) -> ModelInfo:
    provider, model = name.split("/", 1)
    return ModelInfo(name=name, provider="openai", model=model, base_url="http://127.0.0.1:9/v1")


def answer_text(model: str, task: str, i: int, turn: int) -> str:
    """Markdown with a bold word, a list and a code fence; never the model's name (the page must not leak it)."""
    style = sum(map(ord, model)) % 97
    return (f"**Answer {style}** to {task} prompt {i}, turn {turn}.\n\n- point one\n- point two\n\n"
            f"```python\nprint({i} + {turn})\n```")


def put_chat(store: Store, model: str, task_name: str, i: int, texts: list[str], turns: list[str],
             run_id: int | None = None) -> list[str]:
    """One scored chat item: a response per turn (the messages grow with the model's own answers)."""
    task = get_task(task_name)
    mi = info(model)
    keys, messages = [], []
    for turn, text in zip(turns, texts):
        messages.append(("user", turn))
        req = Request(kind="generate", messages=tuple(messages), max_tokens=1024)
        key = cache_key(mi, req)
        store.put_response(key, model, mi, req, Response(text=text, input_tokens=20, output_tokens=len(text) // 4))
        keys.append(key)
        messages.append(("assistant", text))
    if run_id is None:
        run_id = store.start_run(model, task_name, "generate", {"task": {"name": task_name}})
    store.put_score(run_id, model, task, "generate", task_hash(task), f"{task_name}-{i}", "", Score(1.0), keys)
    return keys


def write_chat_store(path: Path, models: list[str], n_prompts: int = 3, tasks: tuple[str, ...] = ("mt_bench",),
                     hostile_model: str | None = None, text=answer_text) -> Path:
    """mt_bench prompts have two turns, alignbench prompts one (Chinese)."""
    store = Store(path)
    try:
        for model in models:
            for task_name in tasks:
                run_id = store.start_run(model, task_name, "generate", {"task": {"name": task_name}})
                two = task_name.startswith("mt_bench")
                for i in range(n_prompts):
                    turns = ([f"Write about topic {i}.", f"Now shorten it ({i})."] if two
                             else [f"请介绍一下第 {i} 个话题。"])
                    texts = [text(model, task_name, i, t + 1) for t in range(len(turns))]
                    if model == hostile_model:
                        texts[0] = f"{HOSTILE}\n\n{texts[0]}"
                    put_chat(store, model, task_name, i, texts, turns, run_id)
                store.finish_run(run_id, n_prompts, 0, 0)
    finally:
        store.close()
    return path
