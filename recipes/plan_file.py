"""The plan file: `Plan` <-> JSON, with one clear error per problem.

    {"format": "advisor-plan", "version": 1,
     "recipes": [{"name": "dropout", "config": {"rate": 0.3}}, ...]}

"config" may be left out to take every default. Errors name the source (the
file) and the field: "plan.json: recipes[2] 'dropout': rate must be in [0, 1), got 1.5".
"""
from __future__ import annotations

import json
from pathlib import Path

from recipes import registry

FORMAT = "advisor-plan"
VERSION = 1


def to_dict(plan) -> dict:
    return {"format": FORMAT, "version": VERSION,
            "recipes": [{"name": r.name, "config": r.get_config()} for r in plan]}


def _recipe(entry, where: str):
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object with 'name' and 'config', got {entry!r}")
    if "name" not in entry:
        raise ValueError(f"{where}: missing field 'name'")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"{where} '{entry['name']}': 'config' must be an object, got {config!r}")
    try:
        return registry.get(entry["name"]).from_config(config)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where} {error}") from None


def from_dict(plan_class, data, source: str = "plan"):
    """A `plan_class` from `to_dict` output; ValueError starting with `source` otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    for field in ("format", "version", "recipes"):
        if field not in data:
            raise ValueError(f"{source}: missing field {field!r}")
    if data["format"] != FORMAT:
        raise ValueError(f"{source}: 'format' must be {FORMAT!r}, got {data['format']!r}")
    if data["version"] != VERSION:
        raise ValueError(f"{source}: 'version' must be {VERSION}, got {data['version']!r}")
    if not isinstance(data["recipes"], list):
        raise ValueError(f"{source}: 'recipes' must be a list, got {type(data['recipes']).__name__}")
    recipes = [_recipe(entry, f"{source}: recipes[{i}]") for i, entry in enumerate(data["recipes"])]
    try:
        return plan_class(recipes)
    except ValueError as error:  # duplicates and slot conflicts
        raise ValueError(f"{source}: {error}") from None


def load(plan_class, path):
    """Read a plan file into a `plan_class`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValueError(f"{path}: cannot read plan file ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}, "
                         f"column {error.colno})") from None
    return from_dict(plan_class, data, source=str(path))
