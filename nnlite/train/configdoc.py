"""The config schema as documentation: ``--print-config`` (the resolved config as YAML with each
key's doc as a comment) and the README's table of config keys, both generated from the one
schema declaration in ``nnlite.train.schema``."""

from __future__ import annotations

from nnlite.train.schema import REQUIRED, Field, Section, build_schema


def _scalar(value) -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=10**6)
    return text.removesuffix("\n...\n").strip()


def _comment(spec) -> str:
    parts = []
    if getattr(spec, "doc", ""):
        parts.append(spec.doc)
    if isinstance(spec, Field):
        parts.append(spec.describe())
    return "; ".join(parts)


def annotated_yaml(cfg: dict, schema: Section | None = None) -> str:
    """``cfg`` (a resolved config) as YAML, every key followed by ``# doc; allowed values``.

    ``yaml.safe_load`` of the result gives ``cfg`` back.
    """
    schema = schema or build_schema()
    lines: list[str] = []
    _emit(cfg, schema, 0, lines, "")
    return "\n".join(lines) + "\n"


def _emit(node: dict, spec: Section, depth: int, lines: list[str], path: str) -> None:
    pad = "  " * depth
    keys = list(spec.fields) + [k for k in node if k not in spec.fields]
    for key in keys:
        if key not in node:
            continue
        value = node[key]
        sub = spec.fields.get(key)
        if isinstance(sub, Section) and isinstance(value, dict) and value:
            doc = _comment(sub)
            lines.append(f"{pad}{key}:" + (f"  # {doc}" if doc else ""))
            _emit(value, sub, depth + 1, lines, key)
            continue
        if sub is None:
            doc = f"an argument of {path} '{node.get('name')}'" if spec.extra else ""
        elif isinstance(sub, Section):
            doc = (sub.doc + "; " if sub.doc else "") + "a mapping" + (
                " or null (off)" if sub.nullable else "")
        else:
            doc = _comment(sub)
        line = f"{pad}{key}: {_scalar(value)}"
        lines.append(line + (f"  # {doc}" if doc else ""))


def key_table(schema: Section | None = None) -> str:
    """A Markdown table of every config key: default and meaning."""
    schema = schema or build_schema()
    rows = ["| key | default | allowed / meaning |", "| --- | --- | --- |"]
    _rows(schema, "", rows)
    return "\n".join(rows)


def _rows(spec: Section, prefix: str, rows: list[str]) -> None:
    for key, sub in spec.fields.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(sub, Section):
            if sub.doc or sub.nullable or sub.extra:
                extra = " (also takes the class's own arguments)" if sub.extra else ""
                null = " (null: off)" if sub.nullable else ""
                rows.append(f"| `{path}` | | {sub.doc or 'section'}{null}{extra} |")
            _rows(sub, path, rows)
            continue
        default = "required" if sub.default is REQUIRED else f"`{_scalar(sub.default)}`"
        meaning = _comment(sub).replace("|", "\\|")
        rows.append(f"| `{path}` | {default} | {meaning} |")


START, END = "<!-- config-keys:start -->", "<!-- config-keys:end -->"


def key_paths(schema: Section | None = None, prefix: str = "") -> list[str]:
    """Every declared key path, sections included (``data``, ``data.split.val``...)."""
    schema = schema or build_schema()
    out = []
    for key, sub in schema.fields.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(sub, Section):
            if sub.doc or sub.nullable or sub.extra:
                out.append(path)
            out.extend(key_paths(sub, path))
        else:
            out.append(path)
    return out


def update_readme(path: str) -> bool:
    """Rewrite the table between the config-keys markers of ``path``; True if it changed."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if START not in text or END not in text:
        raise SystemExit(f"{path}: no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{key_table()}\n{END}{tail}"
    if new != text:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text


if __name__ == "__main__":  # python -m nnlite.train.configdoc README.md
    import sys

    for p in sys.argv[1:] or ["README.md"]:
        print(f"{p}: {'updated' if update_readme(p) else 'up to date'}")
