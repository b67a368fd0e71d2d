"""Run model-generated code in a throw-away sandbox (see `gapbench.sandbox.run` for the isolation design)."""

from gapbench.sandbox.languages import EXTENSIONS, LANGUAGES, Limits, available_languages
from gapbench.sandbox.run import SandboxResult, run_code, sandbox_available

__all__ = ["EXTENSIONS", "LANGUAGES", "Limits", "SandboxResult", "available_languages", "run_code",
           "sandbox_available"]
