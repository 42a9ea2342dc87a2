"""`--set field.path=value` options read into overrides (values as YAML scalars, else the text itself)."""

from typing import Any

from .schema import ScenarioError
from .yaml_safe import NotYAML, parse_yaml


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Parse `--set path=value` strings; values are read as YAML scalars (numbers, booleans, lists)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set {item}: expected field.path=value, e.g. population.consumers=5000")
        key, text = item.split("=", 1)
        try:
            value = parse_yaml(text, f"--set {key.strip()}") if text.strip() else ""
        except NotYAML:
            value = text
        out[key.strip()] = value
    return out
