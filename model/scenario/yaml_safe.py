"""Safe YAML reading: PyYAML's safe loader refusing duplicate keys, and documents too large or deep
for a scenario refused before validation."""

import decimal
import re
from collections.abc import Hashable
from typing import Any

import yaml

from ..errors import quote
from .schema import MAX_DEPTH, MAX_TEXT, MAX_VALUES, ScenarioError


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class NotYAML(ScenarioError):
    """Text that does not parse as YAML (a --set value falls back to the text itself)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (PyYAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                first, again = seen[key].line + 1, key_node.start_mark.line + 1
                lines = f"lines {first} and {again}" if first != again else f"twice on line {first}"
                raise _DuplicateKey(problem=f"duplicate key {quote(key)} ({lines}); give each key once",
                                    problem_mark=key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        """An integer of any length: beyond Python's 4,300-digit limit on reading text as an int, it is
        read through Decimal, so it reaches the field's range check like any other out-of-range value."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            text = self.construct_scalar(node).replace("_", "")
            if not re.fullmatch(r"[-+]?[0-9]+", text):
                raise
            return int(decimal.Decimal(text))


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def parse_yaml(text: str, where: str) -> Any:
    """YAML text as Python values, refusing duplicate keys and documents whose expanded size is
    absurd (YAML aliases can make a few lines stand for gigabytes): ScenarioError naming `where`."""
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1} column {mark.column + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, _DuplicateKey):
            raise ScenarioError(f"{where}:{line} {problem}") from None
        raise NotYAML(f"{where}:{line} YAML syntax error: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: nested too deeply (a scenario has blocks of values, at most "
                            f"{MAX_DEPTH} levels)") from None
    stack, values, chars = [(doc, 0)], 0, 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if isinstance(node, str):
            chars += len(node)
        elif isinstance(node, dict):
            stack.extend((x, depth + 1) for kv in node.items() for x in kv)
        elif isinstance(node, list):
            stack.extend((x, depth + 1) for x in node)
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{where}: nested deeper than {MAX_DEPTH} levels; a scenario has blocks of values")
        if values > MAX_VALUES or chars > MAX_TEXT:
            raise ScenarioError(f"{where}: the document expands to more than {MAX_VALUES:,} values or "
                                f"{MAX_TEXT:,} characters (YAML aliases?); a scenario has a few hundred values")
    return doc
