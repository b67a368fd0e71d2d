"""`gapbench sandbox FILE`: run one file of (model-written) code in the sandbox and report what happened."""

from __future__ import annotations

from pathlib import Path

import click

from gapbench.cli.common import json_option, print_json
from gapbench.errors import GapbenchError
from gapbench.sandbox import EXTENSIONS, LANGUAGES, run_code


@click.command("sandbox")
@click.argument("file", metavar="FILE")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1, max=3600), default=10.0, show_default=True,
              metavar="S", help="Wall-clock limit in seconds for running the program.")
@click.option("--language", type=click.Choice(list(LANGUAGES)), default=None,
              help="Language of FILE (default: from its extension).")
@click.option("--allow-unsandboxed-code", "allow_unsandboxed", is_flag=True,
              help="If namespaces are unavailable, still run with resource limits only (no network/filesystem "
                   "isolation).")
@json_option
def sandbox_cmd(file, timeout_s, language, allow_unsandboxed, as_json):
    """Run FILE with no network, a read-only filesystem, uid 65534 and resource limits; exit 0 whatever its status."""
    path = Path(file)
    if not path.is_file():
        raise GapbenchError(f"{file}: no such file")
    language = language or EXTENSIONS.get(path.suffix.lower())
    if language is None:
        raise GapbenchError(f"{file}: cannot tell the language from {path.suffix or 'no extension'!r}; "
                            f"pass --language ({'|'.join(LANGUAGES)})")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise GapbenchError(f"{file}: cannot read: {e}") from e
    result = run_code(source, language, timeout_s=timeout_s, allow_unsandboxed=allow_unsandboxed)
    if as_json:
        print_json(result.to_json())
        return
    rc = "-" if result.returncode is None else result.returncode
    click.echo(f"{result.status} (exit {rc}, {result.duration_s:.2f} s, {language})")
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            click.echo(f"--- {name}\n{text.rstrip()}")
