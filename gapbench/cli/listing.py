"""`gapbench tasks` and `gapbench models`: what exists."""

from __future__ import annotations

import click
from rich.table import Table

from gapbench.cli.common import console, data_dir_option, json_option, print_json
from gapbench import settings
from gapbench.errors import GapbenchError
from gapbench.models.local_assets import LOCAL_MODELS
from gapbench.models.presets import load_presets
from gapbench.models.registry import providers
from gapbench.tasks.loader import load_samples
from gapbench.tasks.registry import builtin_tasks, get_task, suites


def _n_items(task, data_dir) -> int | None:
    try:
        return len(load_samples(task, data_dir))
    except GapbenchError:
        return None  # data not in the data directory


@click.command("tasks")
@data_dir_option
@json_option
def tasks_cmd(data_dir, as_json):
    """List built-in tasks (capability, language, version, scorer, metric, item count when the data is present) and suites."""
    data = settings.data_dir(data_dir)
    rows = []
    for name in builtin_tasks():
        t = get_task(name)
        rows.append({"name": t.name, "capability": t.capability, "language": t.language,
                     "n_items": _n_items(t, data), "version": t.version, "scorer": t.scorer,
                     "metric": t.metric, "methods": t.methods, "description": t.description})
    if as_json:
        print_json({"data_dir": str(data), "tasks": rows, "suites": suites()})
        return
    table = Table(title=f"Tasks (data: {data})")
    for col in ("name", "capability", "language", "n_items", "scorer", "metric", "methods"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["capability"], r["language"], str(r["n_items"] if r["n_items"] is not None else "no data"),
                      r["scorer"], r["metric"], ",".join(r["methods"]))
    out = console()
    out.print(table)
    st = Table(title="Suites (gapbench run --suite NAME)")
    for col in ("suite", "items per task", "tasks", "description"):
        st.add_column(col)
    for name, s in suites().items():
        st.add_row(name, str(s["limit"] or "all"), str(len(s["tasks"])), s["description"])
    out.print(st)


@click.command("models")
@click.option("--check", "check", is_flag=True,
              help="Send one tiny request per configured preset (key variable set) and report, one line each, "
                   "whether the key, the model and the request parameters are accepted. Stores nothing.")
@click.option("--model", "check_models", default=None, metavar="P/M[,P/M…]",
              help="With --check: these provider/model names instead of each preset's first default model.")
@json_option
def models_cmd(check, check_models, as_json):
    """List providers, bundled local models and API presets (with the key variable each needs)."""
    if check or check_models:
        return _check(check_models, as_json)
    local = [{"name": f"local/{m.alias}", "developer": m.developer, "country": m.country, "chat": m.chat,
              "description": m.description, "packages": list(m.packages)} for m in LOCAL_MODELS.values()]
    presets = [{"provider": p["name"], "base_url": p["base_url"], "api_key_env": p.get("api_key_env"),
                "protocol": p.get("protocol", "openai"), "country": p.get("country"),
                "default_models": p.get("default_models", []), "regions": p.get("regions", {}),
                "checked": p.get("checked"), "verified": p.get("verified", ""), "sources": p.get("sources", [])}
               for p in load_presets()]
    if as_json:
        print_json({"providers": providers(), "local": local, "presets": presets})
        return
    out = console()
    t = Table(title="Bundled local models")
    for col in ("name", "developer", "country", "description"):
        t.add_column(col)
    for m in local:
        t.add_row(m["name"], m["developer"], m["country"], m["description"])
    out.print(t)
    t = Table(title="API presets (provider/MODEL)")
    for col in ("provider", "country", "key variable", "base URL", "models"):
        t.add_column(col)
    for p in presets:
        t.add_row(p["provider"], p["country"] or "", p["api_key_env"] or "", p["base_url"],
                  ", ".join(p["default_models"][:3]))
    out.print(t)


def _check(check_models: str | None, as_json: bool) -> None:
    import asyncio

    from gapbench.models.check import check_presets
    from gapbench.models.registry import split_name

    wanted: dict[str, list[str]] | None = None
    if check_models:
        wanted = {}
        for name in (n.strip() for n in check_models.split(",") if n.strip()):
            provider, model = split_name(name)
            wanted.setdefault(provider, []).append(model)
        known = {p["name"] for p in load_presets()}
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise GapbenchError(f"--model: no preset named {', '.join(unknown)} (see `gapbench models`)")
    results = asyncio.run(check_presets(wanted))
    if as_json:
        print_json({"checks": [r.to_json() for r in results]})
        return
    for r in results:
        print(r.line())
