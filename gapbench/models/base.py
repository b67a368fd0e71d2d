"""The protocol every provider implements; nothing above it knows which provider it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gapbench.types import Request, Response


@dataclass(frozen=True)
class ModelInfo:
    """Identity of a model: everything that must enter the cache key besides the request."""

    name: str  # as the user typed it, e.g. "local/qwen2.5-coder-0.5b" or "openai/gpt-4o"
    provider: str  # e.g. "llamacpp", "openai", "anthropic"
    model: str  # provider-side model id or GGUF path
    base_url: str = ""
    file_sha256: str = ""  # GGUF models: hash of the weights file
    chat: bool = True  # False for base models: generate uses plain completion
    supports_loglikelihood: bool = False
    # settings that change a response besides the request (a local model's context size decides truncation)
    settings: dict[str, Any] = field(default_factory=dict, hash=False)
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # manifest only

    def identity(self) -> dict[str, Any]:
        out = {
            "provider": self.provider,
            "model": self.model if not self.file_sha256 else "",
            "base_url": self.base_url,
            "file_sha256": self.file_sha256,
        }
        if self.settings:
            out["settings"] = dict(sorted(self.settings.items()))
        return out


@runtime_checkable
class Model(Protocol):
    info: ModelInfo
    max_concurrency: int  # upper bound the runner respects (1 for an in-process model)

    async def generate(self, request: Request) -> Response: ...

    async def loglikelihood(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...
