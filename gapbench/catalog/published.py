"""Loaders for published leaderboard data, each turning a source into `PublishedScore` records.

* Epoch AI Capabilities Index export (CSV): `load_epoch_eci` -> metric "eci".
* llm-stats leaderboard data folder (JSON): `load_llm_stats` -> one metric per benchmark id.
* LMArena text leaderboard snapshot (CSV): `load_lmarena` -> metric "lmarena_text".

Every loader takes a local path or an http(s) URL (downloaded with httpx to a temporary file; an
llm-stats URL must point at a .zip or .tar.gz of the data folder). Where a source lacks a field
(LMArena has no release dates or countries, some llm-stats organisations no country) it is filled
from the gapbench catalog or, for the country, from the developer's home country; what is still
unknown stays None. `load_published` picks the loader from the shape of the path.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gapbench.catalog.catalog import CatalogModel, find, normalize_country
from gapbench.errors import GapbenchError


class PublishedScore(BaseModel):
    """One published score of one model on one metric."""

    model: str
    catalog_id: str | None = None
    developer: str | None = None
    country: str | None = None
    release_date: dt.date | None = None
    metric: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    source: str
    extra: dict[str, Any] = Field(default_factory=dict)


# Home country of developers named in the sources (Epoch spelling), for rows that carry no country.
ORG_COUNTRY = {
    "openai": "United States of America", "anthropic": "United States of America",
    "google": "United States of America", "google deepmind": "United States of America",
    "meta": "United States of America", "meta ai": "United States of America",
    "microsoft": "United States of America", "xai": "United States of America",
    "amazon": "United States of America", "nvidia": "United States of America",
    "ibm": "United States of America", "databricks": "United States of America",
    "mosaicml": "United States of America", "perplexity ai": "United States of America",
    "allen ai": "United States of America", "ai2": "United States of America",
    "allenai/uw": "United States of America", "huggingface": "United States of America",
    "hugging face": "United States of America", "lmsys": "United States of America",
    "uc berkeley": "United States of America", "stanford": "United States of America",
    "princeton": "United States of America", "uw": "United States of America",
    "nexusflow": "United States of America", "together ai": "United States of America",
    "snowflake": "United States of America", "nousresearch": "United States of America",
    "reka ai": "United States of America", "nomic ai": "United States of America",
    "cognitive computations": "United States of America",
    "alibaba": "China", "alibaba cloud / qwen team": "China", "qwen": "China", "deepseek": "China",
    "deepseek ai": "China", "zhipu": "China", "zhipu ai": "China", "z.ai": "China",
    "tsinghua": "China", "moonshot": "China", "moonshot ai": "China", "01 ai": "China",
    "01.ai": "China", "tencent": "China", "baidu": "China", "bytedance": "China",
    "minimax": "China", "stepfun": "China", "internlm": "China", "iflytek": "China",
    "sensetime": "China", "baichuan": "China",
    "mistral": "France", "mistral ai": "France", "cohere": "Canada", "ai21 labs": "Israel",
    "ai21": "Israel", "tii": "United Arab Emirates", "upstage ai": "South Korea",
    "stability ai": "United Kingdom of Great Britain and Northern Ireland",
}


def org_country(org: str | None) -> str | None:
    if not org:
        return None
    return ORG_COUNTRY.get(org.strip().casefold())


# ------------------------------------------------------------------------------------ local / URL


def _is_url(s: str | Path) -> bool:
    return isinstance(s, str) and s.startswith(("http://", "https://"))


def _download(url: str) -> Path:
    """Fetch a URL to a temporary file (kept until the process ends); one-line error on failure."""
    import httpx

    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download"
    target = Path(tempfile.mkdtemp(prefix="gapbench-published-")) / name
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as r:
            if r.status_code != 200:
                raise GapbenchError(f"{url}: HTTP {r.status_code}")
            with target.open("wb") as f:
                for chunk in r.iter_bytes():
                    f.write(chunk)
    except httpx.HTTPError as e:
        raise GapbenchError(f"{url}: download failed ({e.__class__.__name__}: {e})") from None
    return target


def _local(path_or_url: str | Path) -> Path:
    if _is_url(path_or_url):
        return _download(str(path_or_url))
    p = Path(path_or_url)
    if not p.exists():
        raise GapbenchError(f"{p}: file not found")
    return p


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            for col in required:
                if col not in header:
                    raise GapbenchError(f"{path}: column '{col}' missing (columns: {', '.join(header) or 'none'})")
            return [{(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
                    for row in reader]
    except UnicodeDecodeError:
        raise GapbenchError(f"{path}: not a UTF-8 CSV file") from None
    except csv.Error as e:
        raise GapbenchError(f"{path}: not a readable CSV file ({e})") from None


def _float(text: str, path: Path, line: int, col: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise GapbenchError(f"{path}:{line}: column '{col}': not a number: {text!r}") from None


def _date(text: str | None, path: Path | str, line: int | str, col: str) -> dt.date | None:
    if not text or not str(text).strip():
        return None
    t = str(text).strip()[:10]
    try:
        return dt.date.fromisoformat(t)
    except ValueError:
        raise GapbenchError(f"{path}:{line}: column '{col}': not a YYYY-MM-DD date: {text!r}") from None


def _catalog_facts(names: list[str], catalog: list[CatalogModel] | None) -> CatalogModel | None:
    for n in names:
        if n:
            m = find(n, catalog)
            if m is not None:
                return m
    return None


# ------------------------------------------------------------------------------------- Epoch ECI

EPOCH_COLUMNS = ("Model version", "ECI Score", "Release date", "Organization", "Country")


def load_epoch_eci(path_or_url: str | Path, catalog: list[CatalogModel] | None = None) -> list[PublishedScore]:
    """Epoch Capabilities Index export -> one record per row that has an ECI score (metric "eci").

    Uses the ECI Score, Release date, Organization and Country columns (country and date fall back to
    the catalog where empty). Epoch's `Confidence` column (Confident / Likely / Speculative / Unknown /
    Unverified) is Epoch's confidence in the model's database facts, not an interval on the score, so
    ci_low/ci_high stay None; the label is kept in `extra["confidence"]`. Rows without a score are
    skipped. Several rows may describe one model (reasoning settings, hosts); all are kept.
    """
    path = _local(path_or_url)
    rows = _read_csv(path, EPOCH_COLUMNS)
    out = []
    for i, row in enumerate(rows, start=2):
        value = _float(row.get("ECI Score", ""), path, i, "ECI Score")
        if value is None:
            continue
        version = row["Model version"]
        name = row.get("Model name", "") or ""
        entry = _catalog_facts([version, name, row.get("Display name", "")], catalog)
        country = row.get("Country") or (entry.country if entry else None) or org_country(row.get("Organization"))
        release = _date(row.get("Release date"), path, i, "Release date") or (entry.release_date if entry else None)
        out.append(PublishedScore(
            model=version, catalog_id=entry.id if entry else None,
            developer=row.get("Organization") or (entry.developer if entry else None),
            country=normalize_country(country) if country else None, release_date=release,
            metric="eci", value=value, source=f"epoch-eci:{path.name}",
            extra={k: v for k, v in (("model_name", name), ("display_name", row.get("Display name", "")),
                                     ("confidence", row.get("Confidence", "")),
                                     ("accessibility", row.get("Model accessibility", ""))) if v}))
    if not out:
        raise GapbenchError(f"{path}: column 'ECI Score': no row has a score")
    return out


# ------------------------------------------------------------------------------------- llm-stats


def _llm_stats_root(path: Path) -> Path:
    """The folder holding organizations/ (the data/ folder of the llm-stats repo), given it or a parent."""
    for cand in (path, path / "data"):
        if (cand / "organizations").is_dir():
            return cand
    found = sorted(path.glob("*/data/organizations")) + sorted(path.glob("*/organizations"))
    if found:
        return found[0].parent
    raise GapbenchError(f"{path}: folder 'organizations' missing (expected the llm-stats data folder: "
                        f"organizations/<org>/organization.json, organizations/<org>/models/<id>/model.json)")


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GapbenchError(f"{path}: not readable JSON ({e})") from None


def load_llm_stats(dir_or_url: str | Path, catalog: list[CatalogModel] | None = None,
                   include_self_reported: bool = True) -> list[PublishedScore]:
    """llm-stats data folder -> one record per (model, benchmark); metric = benchmark id ("mmlu", "gpqa", ...).

    Layout: organizations/<org>/organization.json (name, country code), organizations/<org>/models/<id>/
    model.json (name, release_date, param_count) and .../benchmarks.json (a list of {benchmark_id, score,
    is_self_reported, ...}). Scores are fractions (0.834 = 83.4%); most are self-reported by vendors
    (kept in extra["self_reported"]; include_self_reported=False drops them). No intervals.
    """
    if _is_url(dir_or_url):
        archive = _download(str(dir_or_url))
        target = archive.parent / "unpacked"
        try:
            shutil.unpack_archive(str(archive), str(target))
        except (shutil.ReadError, ValueError):
            raise GapbenchError(f"{dir_or_url}: an llm-stats URL must point at a .zip or .tar.gz of the data folder") from None
        path = target
    else:
        path = Path(dir_or_url)
        if not path.is_dir():
            raise GapbenchError(f"{path}: llm-stats data folder not found")
    root = _llm_stats_root(path)
    out = []
    for org_file in sorted(root.glob("organizations/*/organization.json")):
        org = _load_json(org_file)
        org_name = org.get("name") or org_file.parent.name
        org_cc = normalize_country(org.get("country")) if org.get("country") else None
        for model_file in sorted(org_file.parent.glob("models/*/model.json")):
            meta = _load_json(model_file)
            bench_file = model_file.with_name("benchmarks.json")
            if not bench_file.exists():
                continue
            model_id = meta.get("model_id") or model_file.parent.name
            entry = _catalog_facts([model_id, meta.get("name", "")], catalog)
            release = _date(meta.get("release_date"), model_file, "release_date", "release_date")
            country = org_cc or (entry.country if entry else None) or org_country(org_name) \
                or org_country(org_file.parent.name)
            rows = _load_json(bench_file)
            if not isinstance(rows, list):
                raise GapbenchError(f"{bench_file}: expected a list of benchmark results")
            for j, r in enumerate(rows):
                if "benchmark_id" not in r or "score" not in r:
                    raise GapbenchError(f"{bench_file}: entry {j}: field 'benchmark_id' or 'score' missing")
                if r.get("score") is None:
                    continue
                if not include_self_reported and r.get("is_self_reported"):
                    continue
                out.append(PublishedScore(
                    model=model_id, catalog_id=entry.id if entry else None, developer=org_name,
                    country=country, release_date=release or (entry.release_date if entry else None),
                    metric=str(r["benchmark_id"]), value=float(r["score"]), source="llm-stats",
                    extra={"benchmark_name": r.get("benchmark_name"), "self_reported": bool(r.get("is_self_reported")),
                           "model_name": meta.get("name"), "param_count": meta.get("param_count")}))
    if not out:
        raise GapbenchError(f"{root}: no benchmarks.json with scores under organizations/*/models/*/")
    return out


# --------------------------------------------------------------------------------------- LMArena

LMARENA_COLUMNS = ("model", "arena_score")
_CI = re.compile(r"^\s*\+\s*([\d.]+)\s*/\s*-\s*([\d.]+)\s*$")


_FULL_DATE = re.compile(r"(?<!\d)(20\d\d)-?([01]\d)-?([0-3]\d)(?!\d)")
_MMDD = re.compile(r"(?:^|[-_ (])([01]\d)([0-3]\d)(?=$|[-_ )])")


def snapshot_date(name: str, family_date: dt.date | None) -> dt.date | None:
    """The release date of a dated snapshot named like `GPT-4o-2024-08-06`, `Claude 3.5 Sonnet (20241022)` or
    `GPT-4-0613` (month-day: only read in the family's release year, as the year is not written), else the
    family's release date. A snapshot date before the family's release is ignored, so a later snapshot
    whose year cannot be told (`GPT-4-0125-preview`) keeps the family's date: too early, never too late.
    """
    m = _FULL_DATE.search(name)
    if m:
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if family_date is None or d >= family_date:
                return d
        except ValueError:
            pass
    if family_date is not None:
        m = _MMDD.search(name)
        if m:
            mm, dd = int(m.group(1)), int(m.group(2))
            try:
                d = dt.date(family_date.year, mm, dd)
            except ValueError:
                d = None
            if d is not None and d >= family_date:
                return d
    return family_date


def load_lmarena(path_or_url: str | Path, catalog: list[CatalogModel] | None = None) -> list[PublishedScore]:
    """LMArena text leaderboard CSV -> metric "lmarena_text" (the arena score, an Elo-style rating).

    The `95_pct_ci` column ("+5/-5") gives ci_high = score + 5, ci_low = score - 5. The snapshot has no
    release dates or countries. Dates: the snapshot date in the model name where it has one
    (`GPT-4o-2024-08-06`, `GPT-4-0613`, see `snapshot_date`), else the catalog's release date of the
    model family, else None (such rows cannot take part in a months-behind analysis). Countries: the
    catalog's, else the organisation's home country.
    """
    path = _local(path_or_url)
    rows = _read_csv(path, LMARENA_COLUMNS)
    out = []
    for i, row in enumerate(rows, start=2):
        value = _float(row.get("arena_score", ""), path, i, "arena_score")
        if value is None or not row.get("model"):
            continue
        lo = hi = None
        ci = row.get("95_pct_ci", "")
        m = _CI.match(ci) if ci else None
        if m:
            hi, lo = value + float(m.group(1)), value - float(m.group(2))
        entry = _catalog_facts([row["model"]], catalog)
        org = row.get("organization") or None
        country = (entry.country if entry else None) or org_country(org)
        release = snapshot_date(row["model"], entry.release_date if entry else None)
        out.append(PublishedScore(
            model=row["model"], catalog_id=entry.id if entry else None,
            developer=org or (entry.developer if entry else None), country=country,
            release_date=release, metric="lmarena_text", value=value,
            ci_low=lo, ci_high=hi, source=f"lmarena:{path.name}",
            extra={k: v for k, v in (("votes", row.get("votes")), ("license", row.get("license"))) if v}))
    if not out:
        raise GapbenchError(f"{path}: column 'arena_score': no row has a score")
    return out


# --------------------------------------------------------------------------------- shape detection


def detect_source(path_or_url: str | Path) -> str:
    """'epoch-eci', 'llm-stats' or 'lmarena', from the shape of the file/folder (or the URL's ending)."""
    if _is_url(path_or_url):
        url = str(path_or_url).lower().split("?")[0]
        if url.endswith((".zip", ".tar.gz", ".tgz")):
            return "llm-stats"
        if "lmarena" in url or "arena" in url:
            return "lmarena"
        return "epoch-eci"
    p = Path(path_or_url)
    if p.is_dir():
        return "llm-stats"
    if not p.exists():
        raise GapbenchError(f"{p}: file not found")
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error):
        raise GapbenchError(f"{p}: not a CSV file (expected the Epoch ECI export or an LMArena CSV)") from None
    cols = {h.strip() for h in header}
    if "ECI Score" in cols:
        return "epoch-eci"
    if "arena_score" in cols:
        return "lmarena"
    raise GapbenchError(f"{p}: unknown shape: no 'ECI Score' column (Epoch) nor 'arena_score' column (LMArena)")


def load_published(path_or_url: str | Path, catalog: list[CatalogModel] | None = None) -> list[PublishedScore]:
    """Load any of the three sources, detected by shape."""
    kind = detect_source(path_or_url)
    if kind == "epoch-eci":
        return load_epoch_eci(path_or_url, catalog)
    if kind == "lmarena":
        return load_lmarena(path_or_url, catalog)
    return load_llm_stats(path_or_url, catalog)
