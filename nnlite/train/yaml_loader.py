"""Reading YAML that a user (or an attacker) wrote: configs and ``--set`` values.

``yaml.safe_load`` builds no objects from tags, but it still accepts documents that are wrong
or hostile in other ways. This loader, a ``yaml.SafeLoader`` with a few checks, refuses:

- duplicate keys in one mapping (YAML silently keeps the last value);
- more than ``MAX_ALIASES`` aliases, a structure that expands to more than ``MAX_NODES`` values
  once aliases are followed ("billion laughs": 400 bytes that expand to 10**9 strings), and
  aliases that make a structure contain itself;
- nesting deeper than ``MAX_DEPTH`` (PyYAML composes recursively: 10,000 ``[`` would raise
  RecursionError);
- files that are not UTF-8, not regular files (``/dev/zero``, a FIFO) or larger than
  ``MAX_BYTES``.

Every refusal is a ``ConfigError`` naming the file (or ``--set``) with line and column; no
message ever shows a value, which could be the expansion of an alias.
"""

from __future__ import annotations

import os
import stat

import yaml
from yaml.events import AliasEvent

from nnlite.train.schema import ConfigError

MAX_BYTES = 1 << 20  # a config is a few hundred bytes
MAX_DEPTH = 32  # a config needs 4 levels
MAX_ALIASES = 100
MAX_NODES = 10_000  # values after following aliases


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark=None) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and depth while composing and rejects duplicate keys."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases (*name)",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise _Refused("a mapping key must be a plain value, not a list or a "
                                   "mapping", key_node.start_mark) from None
                if key in first:
                    raise _Refused(f"duplicate key '{_short(key)}' (first given on line "
                                   f"{first[key] + 1}); keep one of them", key_node.start_mark)
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _short(key) -> str:
    text = str(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_expansion(root) -> None:
    """Count the values and the depth of ``root`` with aliases followed (memoized per node, so
    this costs the size of the document, not of its expansion)."""
    done: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in done:
            continue
        children = _children(node)
        if not children_done:
            if key in visiting:
                raise _Refused("an alias makes a structure contain itself", node.start_mark)
            visiting.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in visiting:
                    raise _Refused("an alias makes a structure contain itself",
                                   child.start_mark)
                if id(child) not in done:
                    stack.append((child, False))
            continue
        visiting.discard(key)
        size, depth = 1, 1
        for child in children:
            c_size, c_depth = done[id(child)]
            size += c_size
            depth = max(depth, c_depth + 1)
        if size > MAX_NODES:
            raise _Refused(f"the aliases expand to more than {MAX_NODES} values",
                           node.start_mark)
        if depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels (through aliases)",
                           node.start_mark)
        done[key] = (size, depth)


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def parse(text: str, source: str):
    """The YAML document in ``text`` (None if it is empty); ``source`` names it in errors."""
    loader = None
    try:
        loader = _GuardedLoader(text)  # the reader checks the characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except _Refused as e:
        raise ConfigError("", f"{source}: {_describe(e)}") from None
    except yaml.YAMLError as e:
        raise ConfigError("", f"YAML syntax error in {source} at {_describe(e)}") from None
    except RecursionError:
        raise ConfigError("", f"{source}: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def _describe(e: yaml.YAMLError) -> str:
    """``line L, column C: problem`` for any of PyYAML's errors (they differ in attributes)."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None)
    if isinstance(e, yaml.reader.ReaderError):
        where = ""
        char = e.character
        code = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        problem = f"character {code} at position {e.position} is not allowed ({e.reason})"
    else:
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    if not problem:
        problem = str(e).splitlines()[0] if str(e) else type(e).__name__
    context = getattr(e, "context", None)
    if context and not isinstance(e, _Refused):
        problem = f"{problem} ({context})"
    return f"{where}{problem}".replace("\n", " ")


def load_file(path: str) -> object:
    """The YAML document in the file at ``path``, after the checks in the module docstring."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError("", f"config file not found: {path}") from None
    except OSError as e:
        raise ConfigError("", f"cannot read config file {path}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError("", f"{path} is a directory, not a config file (to continue a run, "
                          f"use --resume {path})")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError("", f"{path} is not a regular file")
    if st.st_size > MAX_BYTES:
        raise ConfigError("", f"{path} is {st.st_size} bytes; a config is at most {MAX_BYTES}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError("", f"cannot read config file {path}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError("", f"{path}: line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; "
                          "save the file as UTF-8") from None
    return parse(text.removeprefix("\ufeff"), path)
