"""Model providers. Each import below registers one provider family."""

from gapbench.models import llamacpp  # noqa: F401  llamacpp/PATH.gguf and local/ aliases
from gapbench.models import openai_compat  # noqa: F401  openai/ and OpenAI-compatible presets
from gapbench.models import anthropic  # noqa: F401  anthropic/ (native Messages API)
from gapbench.models import vllm  # noqa: F401  vllm/ (vLLM servers, replicas, exact log-likelihood)
