"""Model catalog (facts about models) and loaders for published leaderboard data."""

from gapbench.catalog.catalog import (CatalogModel, find, load_catalog, normalize_country, resolve_group,
                                      stored_model_facts)

__all__ = ["CatalogModel", "find", "load_catalog", "normalize_country", "resolve_group", "stored_model_facts"]
