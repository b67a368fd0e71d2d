"""`gapbench arena`: a local page where people vote, blind, on two stored answers to the same prompt."""

from __future__ import annotations

import getpass
import socket

import click

from gapbench import settings
from gapbench.cli.common import db_option
from gapbench.errors import GapbenchError
from gapbench.store.db import Store


def default_voter() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "anonymous"


def check_port(host: str, port: int) -> None:
    """Fail in one line, before the server starts, when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise GapbenchError(f"--port {port}: cannot listen on {host}:{port} ({e.strerror})") from None


@click.command("arena")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default keeps the page on this machine).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--task", "tasks", default=None, metavar="T[,T2…]",
              help="Tasks whose stored answers are shown (default: every chat task in the store).")
@click.option("--language", "languages", default=None, metavar="L[,L2…]", help="Only prompts in these languages.")
@click.option("--model", "models", default=None, metavar="M[,M2…]", help="Only pairs of these models (at least two).")
@click.option("--voter", default=None, metavar="NAME",
              help="The voter's name stored with each vote (default: your user name; the page can change it).")
@click.option("--seed", type=int, default=None, help="Seed of the side order and of ties in the pair choice.")
def arena_cmd(db, host, port, tasks, languages, models, voter, seed):
    """Open a blind A/B vote page on this machine: one prompt, two stored answers of two different models, sides at
    random, names shown only after the vote (keys A, B, T, X, N). Each vote is committed to the store; pairs with
    the fewest votes come first and a voter never gets the same pair twice. `gapbench leaderboard` turns the votes
    into Bradley-Terry ratings."""
    import uvicorn

    from gapbench.arena.pairs import build_pool
    from gapbench.arena.server import ArenaConfig, create_app

    path = settings.db_path(db)
    with Store.existing(path) as store:
        pool = build_pool(store, tasks, languages, models)
    check_port(host, port)
    config = ArenaConfig(db=path, pool=pool, voter=" ".join((voter or default_voter()).split()) or "anonymous",
                         seed=seed)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"arena: {len(pool.pairs)} pairs ({pool.prompts} prompts, {len(pool.models)} models, tasks "
               f"{', '.join(pool.tasks)}) on http://{shown_host}:{port}/ · voter {config.voter} · Ctrl-C stops")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"arena: listening on {host}: other machines can reach the page", err=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)
