"""Reading configs: YAML files (``yaml_loader``: safe, bounded, no duplicate keys), ``--set key.path=value`` overrides, dumping
the resolved config."""

from __future__ import annotations

from nnlite.train.schema import ConfigError, build_schema, did_you_mean, short_repr, type_name
from nnlite.train.yaml_loader import load_file, parse


def load_yaml(path: str) -> dict:
    """Parse a YAML config (see ``yaml_loader``); an empty file or one that is not a mapping is
    a ``ConfigError`` naming the file."""
    data = load_file(path)
    if data is None:
        raise ConfigError("", f"{path} is empty; give a config such as configs/mlp.yaml (or "
                          "write {} in it to train with every default)")
    if not isinstance(data, dict):
        raise ConfigError("", f"{path}: the config must be a mapping of sections, got "
                          f"{type_name(data)}")
    return data


def parse_override(text: str) -> tuple[list[str], object]:
    """``'optimizer.lr=0.01'`` -> (['optimizer', 'lr'], 0.01); the value is read as YAML."""
    if "=" not in text:
        raise ConfigError("", f"--set expects key.path=value, got {short_repr(text)}")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part.isprintable() or not part.strip() for part in key.split(".")):
        raise ConfigError("", f"--set: bad key path {short_repr(key)}")
    parsed = parse(value, f"--set {key}") if value.strip() else None
    return key.split("."), parsed


def apply_overrides(cfg: dict, overrides: list[str]) -> dict:
    """Apply ``--set`` overrides to a raw config (in place; returns it).

    An override into a section that is null or a shorthand string (``scheduler: cosine``) turns
    it into a mapping first. A misspelled section is caught later by validation, which names it.
    """
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
