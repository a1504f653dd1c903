"""Reading configs: YAML files (``yaml.safe_load``), ``--set key.path=value`` overrides, dumping
the resolved config."""

from __future__ import annotations

import os

from nnlite.train.schema import ConfigError, did_you_mean


def load_yaml(path: str) -> dict:
    """Parse a YAML config; a syntax error becomes a ConfigError with line and column."""
    import yaml

    if not os.path.isfile(path):
        raise ConfigError("", f"config file not found: {path}")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError("", f"YAML syntax error in {path} at {where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("", f"{path}: the config must be a mapping of sections, got "
                          f"{type(data).__name__}")
    return data


def parse_override(text: str) -> tuple[list[str], object]:
    """``'optimizer.lr=0.01'`` -> (['optimizer', 'lr'], 0.01); the value is read as YAML."""
    import yaml

    if "=" not in text:
        raise ConfigError("", f"--set expects key.path=value, got '{text}'")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError("", f"--set: bad key path '{key}'")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as e:
        raise ConfigError(key, f"--set value {value!r} is not valid YAML ({e.problem})") from None
    return key.split("."), parsed


def apply_overrides(cfg: dict, overrides: list[str]) -> dict:
    """Apply ``--set`` overrides to a raw config (in place; returns it).

    An override into a section that is null or a shorthand string (``scheduler: cosine``) turns
    it into a mapping first. A misspelled section is caught later by validation, which names it.
    """
    from nnlite.train.schema import build_schema

    schema = build_schema()
    for text in overrides:
        parts, value = parse_override(text)
        node, spec = cfg, schema
        for i, part in enumerate(parts[:-1]):
            fields = getattr(spec, "fields", {}) if spec is not None else {}
            if spec is not None and part not in fields and not getattr(spec, "extra", False):
                path = ".".join(parts[: i + 1])
                raise ConfigError(path, "unknown key" + did_you_mean(part, fields)
                                  + f" (allowed: {', '.join(fields)})")
            spec = fields.get(part)
            child = node.get(part)
            if isinstance(child, str) and getattr(spec, "shorthand", None):
                child = {spec.shorthand: child}
            if not isinstance(child, dict):
                child = {}
            node[part] = child
            node = child
        node[parts[-1]] = value
    return cfg


def dump_yaml(cfg: dict) -> str:
    import yaml

    return yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None)
