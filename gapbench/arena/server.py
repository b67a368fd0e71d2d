"""The arena: a local web app where people vote, blind, on two stored answers to the same prompt.

Server-rendered HTML (jinja2, autoescaped) and one small script for the keyboard, both served from this package:
nothing is fetched from the network. A Content-Security-Policy allows only this server's own script and style,
so even an answer that slipped past escaping could not run code.

Flow: GET / shows a pair (sides at random, model names nowhere in the page) with an opaque token; POST /vote
stores and commits the vote, then redirects to GET /vote/{id}, which reveals the names and links to the next pair.
Every request runs on the server's one event-loop thread, so votes from many tabs are written one after another
on one SQLite connection (and other processes wait on SQLite's lock): none is lost.
"""

from __future__ import annotations

import secrets
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from gapbench.arena.markup import markdown
from gapbench.arena.pairs import Pair, PairChooser, PairKey, Pool, conversation
from gapbench.store.db import Store
from gapbench.store.votes import AlreadyVoted, Votes, VoteRow

HERE = Path(__file__).resolve().parent
CHOICES = {"left": "left", "right": "right", "tie": "tie", "both_bad": "both_bad"}
CHOICE_WORDS = {"left": "A is better", "right": "B is better", "tie": "tie", "both_bad": "both are bad"}
OPEN_FOR_S = 3600.0  # a shown pair counts as open in another tab of its voter for this long
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")


@dataclass
class Shown:
    """A pair on someone's screen, waiting for a vote: the token in its form points here."""

    pair: Pair
    left_is_a: bool
    voter: str
    shown_at: float
    turns: tuple[str, ...]  # the user turns shown: stored with the vote


@dataclass
class ArenaConfig:
    db: Path
    pool: Pool
    voter: str = "anonymous"
    seed: int | None = None


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = markdown
    return env


def _voter(value: str | None, default: str) -> str:
    name = " ".join((value or "").split())[:80]
    return name or default


def create_app(config: ArenaConfig) -> FastAPI:
    env = _env()
    chooser = PairChooser(config.pool, config.seed)
    shown: dict[str, Shown] = {}
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = Store(config.db)  # opened on the event loop's thread, which serves every request
        state["store"], state["votes"] = store, Votes(store)
        try:
            yield
        finally:
            store.close()

    app = FastAPI(title="gapbench arena", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        votes: Votes = state["votes"]
        voter = context["voter"]
        context.setdefault("next_url", "/?" + urlencode({"voter": voter, **context["filters"]}))
        context.update(pool=config.pool, my_votes=votes.count(voter), all_votes=votes.count(),
                       left_for_me=len(chooser.candidates(votes.voted_by(voter))))
        return HTMLResponse(env.get_template(template).render(**context), status_code=status)

    def filters(request: Request) -> dict[str, str]:
        q = request.query_params
        return {k: q[k] for k in ("task", "language") if q.get(k)}

    def open_keys(voter: str) -> set[PairKey]:
        now = time.time()
        for token in [t for t, s in shown.items() if now - s.shown_at > OPEN_FOR_S]:
            shown.pop(token)
        return {s.pair.key for s in shown.values() if s.voter == voter}

    @app.get("/", response_class=HTMLResponse)
    async def next_pair(request: Request):
        voter = _voter(request.query_params.get("voter"), config.voter)
        chosen = filters(request)
        votes: Votes = state["votes"]
        while True:
            pair = chooser.choose(votes.pair_counts(), votes.voted_by(voter), open_keys(voter), **chosen)
            if pair is None:
                return page("arena.html.j2", voter=voter, filters=chosen, conv=None, mode="done")
            conv = conversation(state["store"].responses(pair.keys_a + pair.keys_b), pair.keys_a, pair.keys_b)
            if conv is not None:
                break
            chooser.drop(pair)  # an answer is missing, or the two models were asked different things
        left_is_a = chooser.rng.random() < 0.5
        token = secrets.token_urlsafe(18)
        shown[token] = Shown(pair, left_is_a, voter, time.time(), conv.turns)
        left, right = (conv.answers_a, conv.answers_b) if left_is_a else (conv.answers_b, conv.answers_a)
        return page("arena.html.j2", voter=voter, filters=chosen, conv=conv, left=left, right=right, token=token,
                    task=pair.task, language=pair.language, mode="vote")

    @app.post("/vote")
    async def vote(request: Request):
        form = await request.form()
        token, choice = str(form.get("token", "")), str(form.get("choice", ""))
        s = shown.get(token)
        voter = s.voter if s else _voter(str(form.get("voter", "")), config.voter)  # the voter it was shown to
        back = {"voter": voter, **{k: str(form[k]) for k in ("task", "language") if form.get(k)}}
        if choice not in CHOICES:
            return page("arena.html.j2", 400, voter=voter, filters=back, conv=None, mode="error",
                        message=f"unknown choice {choice!r}: one of {', '.join(CHOICES)}")
        if s is None:
            return page("arena.html.j2", 409, voter=voter, filters=back, conv=None, mode="error",
                        message="this pair is no longer open (the server restarted, or it was voted on already)")
        p = s.pair
        left_model = p.model_a if s.left_is_a else p.model_b
        verdict = {"tie": "tie", "both_bad": "both_bad"}.get(choice) or (
            "a" if (choice == "left") == s.left_is_a else "b")
        row = VoteRow(voter=voter, task=p.task, sample_id=p.sample_id, language=p.language, model_a=p.model_a,
                      model_b=p.model_b, keys_a=p.keys_a, keys_b=p.keys_b, left_model=left_model, prompt=s.turns,
                      verdict=verdict, shown_at=s.shown_at)
        try:
            vote_id = state["votes"].add(row)  # committed before the answer goes out
        except AlreadyVoted:
            shown.pop(token, None)
            return page("arena.html.j2", 409, voter=voter, filters=back, conv=None, mode="error",
                        message="you have voted on this pair already (in another tab?); it was not counted twice")
        shown.pop(token, None)
        return RedirectResponse(f"/vote/{vote_id}?{urlencode(back)}", status_code=303)

    @app.get("/vote/{vote_id}", response_class=HTMLResponse)
    async def reveal(vote_id: int, request: Request):
        row = state["votes"].get(vote_id)
        voter = _voter(request.query_params.get("voter"), row.voter if row else config.voter)
        if row is None:
            return page("arena.html.j2", 404, voter=voter, filters=filters(request), conv=None, mode="error",
                        message=f"no vote {vote_id} in the store")
        conv = conversation(state["store"].responses(row.keys_a + row.keys_b), row.keys_a, row.keys_b)
        left_is_a = row.left_model == row.model_a
        right_model = row.model_b if left_is_a else row.model_a
        left, right = ((conv.answers_a, conv.answers_b) if left_is_a else (conv.answers_b, conv.answers_a)) if conv \
            else ((), ())
        clicked = {"tie": "tie", "both_bad": "both_bad"}.get(row.verdict) or (
            "left" if (row.verdict == "a") == left_is_a else "right")
        return page("arena.html.j2", voter=voter, filters=filters(request), conv=conv, left=left, right=right,
                    mode="revealed", row=row, left_model=row.left_model, right_model=right_model,
                    clicked=CHOICE_WORDS[clicked], task=row.task, language=row.language)

    @app.get("/healthz")
    async def healthz():
        return JSONResponse({"ok": True, "pairs": len(chooser.pairs), "votes": state["votes"].count()})

    return app
