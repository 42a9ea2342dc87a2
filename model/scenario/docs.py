"""Generate docs/scenarios.md from the scenario schema: every parameter, unit, default, range."""

from __future__ import annotations

from pydantic import BaseModel

from .schema import Scenario, bounds


def _range(field) -> str:
    """The field's allowed range; for a list, its items' range ("each >= 0, <= 1")."""
    parts, of_items = bounds(field)
    return ("each " if of_items else "") + ", ".join(parts) if parts else "-"


def _rows(cls: type[BaseModel], instance: BaseModel, prefix: str = ""):
    for name, field in cls.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            yield ("block", f"{prefix}{name}", type(value).__doc__ or "", value)
            yield from _rows(type(value), value, f"{prefix}{name}.")
        else:
            extra = field.json_schema_extra or {}
            default = value if not isinstance(value, float) else f"{value:g}"
            yield ("field", f"{prefix}{name}", (extra.get("unit", "-"), default, _range(field),
                                                field.description or "", extra.get("source", "")), None)


def render() -> str:
    lines = ["# Scenario parameters", "",
             "Generated from the schema in `model/scenario/schema.py` by `make docs` "
             "(`python -m ptsim.scenario.docs`); a test keeps it in step.", "",
             "A scenario file is YAML. `extends: other.yaml` inherits another file (paths are relative to "
             "the file; a bare name such as `extends: baseline` names a library scenario, see `ptsim "
             "scenarios`) and overrides what it sets; `--set dotted.path=value` overrides from the command "
             "line (`--set relationships.touch_rate.1=0.2` sets item 1 of a list field). Unknown keys, keys given "
             "twice, an empty file, wrong types, numbers that are not finite and "
             "out-of-range values are errors (exit status 2).", "",
             "`timeline:` changes levers on given record days (day 0 = the first recorded day): "
             "`timeline: {90: {policies.wechat_direct.mode: beta}, 243: {policies.wechat_direct.mode: open}}`. "
             "Each day maps lever fields (the `policies` block, `insider.eligibility_threshold`, "
             "`groups.entry`) to the values they take from that day on, over the scenario's own; a block "
             "given as a mapping sets the fields it names. The values are checked when the file loads. The "
             "baseline's timeline carries the world's trends and every scenario that extends it inherits "
             "them; `extends:` merges timelines by day and field. The burn-in never reaches a timeline day.", ""]
    current = None
    for kind, path, info, _ in _rows(Scenario, Scenario()):
        if kind == "block":
            lines += ["", f"## `{path}`", ""]
            if info.strip():
                lines += [" ".join(info.split()), ""]
            lines += ["| parameter | unit | default | allowed | meaning | source |", "|---|---|---|---|---|---|"]
            current = path
            continue
        if current is None or "." not in path:
            if current != "top":
                lines += ["## Top level", "", "| parameter | unit | default | allowed | meaning | source |",
                          "|---|---|---|---|---|---|"]
                current = "top"
        unit, default, rng, doc, src = info
        lines.append(f"| `{path}` | {unit} | `{default}` | {rng} | {doc} | {src} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
