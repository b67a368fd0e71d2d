"""The `gapbench` command. Errors a user can cause print one line on stderr and exit 2."""

from __future__ import annotations

import sys

import click

from gapbench import __version__
from gapbench.cli.arena import arena_cmd
from gapbench.cli.claims import claims_cmd
from gapbench.cli.compare import compare_cmd
from gapbench.cli.demo import demo_cmd
from gapbench.cli.judge import judge_cmd
from gapbench.cli.lag import lag_cmd
from gapbench.cli.leaderboard import leaderboard_cmd
from gapbench.cli.listing import models_cmd, tasks_cmd
from gapbench.cli.report import report_cmd
from gapbench.cli.results import results_cmd
from gapbench.cli.run import run_cmd
from gapbench.cli.sandbox import sandbox_cmd
from gapbench.cli.schema import schema_cmd
from gapbench.errors import GapbenchError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gapbench")
def cli():
    """gapbench: how far is one LLM from another, per capability and language?

    Same items, same prompts, stored raw responses, scores with 95% intervals.
    """


COMMANDS = [  # one line each: a new command is one import and one line here
    run_cmd,
    results_cmd,
    tasks_cmd,
    models_cmd,
    demo_cmd,
    sandbox_cmd,
    compare_cmd,
    claims_cmd,
    report_cmd,
    lag_cmd,
    schema_cmd,
    judge_cmd,
    arena_cmd,
    leaderboard_cmd,
]
for command in COMMANDS:
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="gapbench", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:  # bad flag, missing option, bad value
        where = f"gapbench {e.ctx.info_name}" if getattr(e, "ctx", None) and e.ctx.info_name != "gapbench" else "gapbench"
        print(f"{where}: error: {e.format_message()}", file=sys.stderr)
        sys.exit(2)
    except GapbenchError as e:
        print(f"gapbench: error: {e}", file=sys.stderr)
        sys.exit(2)
    except click.Abort:
        print("gapbench: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("gapbench: interrupted; stored responses are kept, run the same command to resume", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
