"""gapbench: measure how far one LLM is from another, per capability and language."""

__version__ = "0.2.0"
