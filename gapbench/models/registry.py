"""Provider registry: `provider/model` names resolve to Model objects through registered factories.

Adding a provider is one module that calls `register_provider` plus one import line in
`gapbench/models/__init__.py`. OpenAI-compatible vendors are data (presets.yaml), not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from gapbench.errors import GapbenchError
from gapbench.models.base import Model


@dataclass
class ModelOptions:
    """Options from the CLI or the environment that shape how a model is reached.

    api_key is held in memory only: it never enters ModelInfo, the cache key, the store or logs.
    """

    base_url: str | None = None
    api_key: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 5
    concurrency: int = 4  # the ceiling of requests in flight per provider endpoint (the limit adapts below it)
    rpm: float | None = None  # requests per minute per provider endpoint, where the provider publishes one
    tpm: float | None = None  # tokens per minute per provider endpoint (estimated on sending, corrected by usage)
    batch: int = 1  # local models: sequences decoded together (1: one at a time, the serial path)
    n_ctx: int = 4096
    n_threads: int | None = None
    extra: dict = field(default_factory=dict)


ProviderFactory = Callable[[str, ModelOptions], Model]
_PROVIDERS: dict[str, ProviderFactory] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register_provider(name: str, factory: ProviderFactory, description: str = "") -> None:
    _PROVIDERS[name] = factory
    _DESCRIPTIONS[name] = description


def providers() -> dict[str, str]:
    _load_builtin()
    return dict(sorted(_DESCRIPTIONS.items()))


def split_name(name: str) -> tuple[str, str]:
    if "/" not in name:
        raise GapbenchError(f"--model: '{name}' is not of the form provider/model (see `gapbench models`)")
    provider, model = name.split("/", 1)
    return provider, model


def create_model(name: str, options: ModelOptions | None = None) -> Model:
    """Build the Model for a `provider/model` name, e.g. `local/qwen2.5-coder-0.5b`."""
    _load_builtin()
    provider, model = split_name(name)
    factory = _PROVIDERS.get(provider)
    if factory is None:
        known = ", ".join(sorted(_PROVIDERS))
        raise GapbenchError(f"--model: unknown provider '{provider}' in '{name}' (known: {known})")
    return factory(model, options or ModelOptions())


def _load_builtin() -> None:
    import gapbench.models  # noqa: F401  (its __init__ registers the built-in providers)
