"""The event-type catalog from config/event_types.yml, read once per process."""

from __future__ import annotations

from functools import cache

import yaml

from bot.resources import config_path
from workflows.catalog import Catalog, parse_catalog


@cache
def load_catalog() -> Catalog:
    with config_path("event_types.yml").open(encoding="utf-8") as handle:
        return parse_catalog(yaml.safe_load(handle))
