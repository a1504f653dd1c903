"""``nnlite.save`` / ``nnlite.load``: state dicts and checkpoints as data, never code.

The file is a safetensors file. Every tensor in the saved object becomes one safetensors entry;
everything else (dicts and OrderedDicts — with str or int keys —, lists, tuples, numbers,
strings, bools, None) is recorded as JSON in the safetensors metadata under ``"nnlite"``, with
each tensor replaced by a reference to its entry. A flat ``{name: Tensor}`` state dict therefore
stores its tensors under their own names, so ``safetensors.torch.load_file(path)`` reads it
straight into PyTorch.

No pickle anywhere: loading a file cannot run code. Writes are atomic (a temporary file in the
same directory, flushed and fsynced, then ``os.replace``), so a crash mid-save leaves the previous
file intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import tempfile
from collections import OrderedDict

import numpy as np

from nnlite._tensor import Tensor

_META_KEY = "nnlite"
TEMP_PREFIX = ".tmp-"  # atomic_write's temporary files (a run directory removes stale ones)
_FORMAT = 1
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
MAX_DEPTH = 64  # nesting of the saved structure (a checkpoint needs about 6)
# safetensors dtype -> numpy dtype (little-endian), the dtypes nnlite tensors can hold
_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "U8": "u1", "I16": "<i2",
           "I32": "<i4", "I64": "<i8", "BOOL": "?"}
_SAVABLE = [np.dtype(d).name for d in _DTYPES.values()]


def _encode(obj, path: str, tensors: dict, depth: int = 0):
    """JSON-able description of ``obj``; tensors are moved into ``tensors``."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nnlite.save: the object is nested deeper than {MAX_DEPTH} levels at "
                         f"'{path}'")
    if isinstance(obj, (Tensor, np.ndarray)):
        arr = obj._data if isinstance(obj, Tensor) else obj
        if arr.dtype.name not in _SAVABLE:
            raise TypeError(f"nnlite.save: cannot save the {arr.dtype} array at "
                            f"'{path or '<root>'}' (supported: {', '.join(_SAVABLE)})")
        name = path or "tensor"
        if name in tensors:  # a flattened path can collide ("a.b" vs {"a": {"b": ...}})
            i = 1
            while f"{name}#{i}" in tensors:
                i += 1
            name = f"{name}#{i}"
        # not np.ascontiguousarray: it turns a 0-d array (num_batches_tracked) into 1-d
        tensors[name] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        return {"T": name, "np": isinstance(obj, np.ndarray)} if isinstance(
            obj, np.ndarray) else {"T": name}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else {"F": repr(v)}  # JSON has no nan/inf
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"nnlite.save: dict keys must be str or int, got {k!r}")
            items.append([k, _encode(v, f"{path}.{k}" if path else str(k), tensors, depth + 1)])
        # an OrderedDict (every state_dict) loads back as one, as torch.load gives it
        return {"O" if isinstance(obj, OrderedDict) else "D": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, f"{path}.{i}" if path else str(i), tensors, depth + 1)
               for i, v in enumerate(obj)]
        return {"L": enc} if isinstance(obj, list) else {"U": enc}
    raise TypeError(
        f"nnlite.save: cannot save an object of type {type(obj).__name__} at '{path or '<root>'}' "
        "(only tensors, numbers, strings, None and dicts/lists/tuples of them: no pickle)"
    )


def _decode(node, arrays: dict, name: str, where: str, depth: int):
    """The object ``_encode`` described; every node is checked against that schema."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if depth >= MAX_DEPTH:
        raise _bad(name, f"the saved structure is nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise _bad(name, f"malformed structure at {where}: {_kind(node)}")
    tag = next(iter(node))
    value = node[tag]
    if tag == "T" and isinstance(value, str) and set(node) <= {"T", "np"}:
        if value not in arrays:
            raise _bad(name, f"{where} refers to a tensor '{value}' that the file does not hold")
        arr = arrays[value]
        return arr if node.get("np") is True else Tensor._wrap(arr)
    if len(node) != 1:
        raise _bad(name, f"malformed structure at {where}: keys {sorted(node)}")
    if tag == "F" and value in ("nan", "inf", "-inf"):
        return float(value)
    if tag in ("L", "U") and isinstance(value, list):
        items = [_decode(v, arrays, name, f"{where}[{i}]", depth + 1)
                 for i, v in enumerate(value)]
        return items if tag == "L" else tuple(items)
    if tag in ("D", "O") and isinstance(value, list):
        out = {} if tag == "D" else OrderedDict()
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                raise _bad(name, f"malformed mapping entry at {where}: expected [key, value]")
            out[item[0]] = _decode(item[1], arrays, name, f"{where}.{item[0]}", depth + 1)
        return out
    raise _bad(name, f"malformed structure at {where}: tag {tag!r} with {_kind(value)}")


def _kind(v) -> str:
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(v), type(v).__name__)


def to_bytes(obj, metadata: dict | None = None) -> bytes:
    """The safetensors bytes ``save`` writes for ``obj``."""
    from safetensors.numpy import save

    tensors: dict = {}
    structure = _encode(obj, "", tensors)
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta[_META_KEY] = json.dumps({"format": _FORMAT, "structure": structure})
    return save(tensors, metadata=meta)


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix.

    The data goes to a temporary ``.tmp-*`` file in the same directory, which is flushed and
    fsynced, renamed over ``path``, and the directory is fsynced so that the rename survives a
    power cut. On failure the temporary file is removed and the old file is untouched; an
    ``OSError`` names ``path``.
    """
    path = os.fspath(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="-" + os.path.basename(path),
                                   dir=directory)
        # mkstemp creates the file 0600; give it the mode a plain open() would (0666 & ~umask),
        # so a run's model and metrics stay readable by whoever could read them before.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_directory(directory)
    except OSError as e:
        raise type(e)(e.errno, f"cannot write '{path}': {e.strerror or e}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_directory(directory: str) -> None:
    """Make a rename or a new file in ``directory`` durable (a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (and Windows) cannot fsync a directory
    finally:
        os.close(fd)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         *, metadata: dict | None = None) -> None:
    """Save a state dict (or nested dicts/lists of tensors and numbers) to ``f``.

    ``f`` is a path (written atomically) or a binary file object. ``metadata`` adds string
    entries to the safetensors header. ``pickle_*`` arguments are accepted for PyTorch
    compatibility and ignored: nothing is pickled.

    Example:
        >>> nnlite.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(nnlite.load("model.safetensors"))
    """
    data = to_bytes(obj, metadata)
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write(f, data)


def from_bytes(data, name: str = "<bytes>"):
    """Decode the bytes of a safetensors file (what ``to_bytes`` returns); see ``load``."""
    view = memoryview(data)
    if len(view) < 8:
        raise _bad(name, f"too short ({len(view)} bytes)")
    header_len = _header_length(bytes(view[:8]), name, len(view))
    header = _parse_header(bytes(view[8 : 8 + header_len]), name, bytes(view[:8]))
    data_len = _data_length(header, name)
    body = view[8 + header_len :]
    if len(body) != data_len:
        raise _bad(name, _size_problem(len(body), data_len))
    return _build(header, bytearray(body), name)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **_):
    """Load what ``save`` wrote (or any safetensors file, as a ``{name: Tensor}`` dict).

    The file is checked before it is trusted: the 8-byte header length, then the JSON header
    (at most 100 MB, every entry's dtype, shape and byte range), and only then the tensor data,
    whose size must match the header exactly. The nnlite structure in the metadata is checked
    against its schema (at most 64 levels deep). Anything else raises ``RuntimeError`` naming
    the file and the problem. ``map_location``/``weights_only``/``mmap`` are accepted for
    PyTorch compatibility; loading never runs code whatever they say.
    """
    if hasattr(f, "read"):
        return _load_stream(f, getattr(f, "name", "<file object>"), None)
    name = os.fspath(f)
    fh = open(name, "rb")  # noqa: SIM115 (closed below); a missing file: FileNotFoundError as torch
    with fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _bad(name, "not a regular file")
        return _load_stream(fh, name, st.st_size)




def _bad(name: str, problem: str) -> RuntimeError:
    return RuntimeError(f"nnlite.load: '{name}' is not an nnlite/safetensors file that can be "
                        f"loaded: {problem}")


def _load_stream(fh, name: str, size: int | None):
    head = fh.read(8)
    if len(head) < 8:
        raise _bad(name, "empty file" if not head else f"too short ({len(head)} bytes)")
    header_len = _header_length(head, name, size)
    raw = fh.read(header_len)
    if len(raw) < header_len:
        raise _bad(name, f"truncated header ({len(raw)} of {header_len} bytes)"
                   + _format_hint(head))
    header = _parse_header(raw, name, head)
    data_len = _data_length(header, name)
    if size is not None and size - 8 - header_len != data_len:
        raise _bad(name, _size_problem(size - 8 - header_len, data_len))
    if size is not None:
        body = bytearray(data_len)
        got = fh.readinto(body) if data_len else 0
    else:  # a stream of unknown size: grow with what arrives, not with what the header claims
        body = bytearray()
        while len(body) < data_len:
            chunk = fh.read(min(data_len - len(body), 1 << 26))
            if not chunk:
                break
            body += chunk
        got = len(body)
    if got != data_len:
        raise _bad(name, _size_problem(got, data_len))
    if size is None and fh.read(1):
        raise _bad(name, "unexpected bytes after the tensor data")
    return _build(header, body, name)


def _size_problem(have: int, need: int) -> str:
    if have < need:
        return f"truncated: the header describes {need} bytes of tensor data, the file has {have}"
    return f"{have - need} unexpected bytes after the tensor data"


def _header_length(head: bytes, name: str, size: int | None) -> int:
    n = int.from_bytes(head, "little")
    if n == 0:
        raise _bad(name, "the header length is 0" + _format_hint(head))
    if n > MAX_HEADER_BYTES:
        raise _bad(name, f"the header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit"
                   + _format_hint(head))
    if size is not None and n > size - 8:
        raise _bad(name, f"the header length {n} exceeds the file ({size} bytes): truncated?"
                   + _format_hint(head))
    return n


def _format_hint(head: bytes) -> str:
    """What a file that is not safetensors probably is, and what to do about it."""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        kind = "a pickle"
    elif head[:2] == b"PK":
        kind = "a zip archive (torch.save's format)"
    else:
        return ""
    return (f"; it looks like {kind}, which nnlite never loads (it could run code): save the "
            "weights with safetensors.torch.save_file(model.state_dict(), path) instead")


def _parse_header(raw: bytes, name: str, head: bytes = b"") -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad(name, "the header is not UTF-8" + _format_hint(head)) from None
    except RecursionError:
        raise _bad(name, "the header is nested too deeply") from None
    except ValueError as e:
        raise _bad(name, f"the header is not JSON ({e})" + _format_hint(head)) from None
    if not isinstance(header, dict):
        raise _bad(name, "the header is not a JSON object")
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise _bad(name, "__metadata__ must map strings to strings")
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _bad(name, f"tensor '{key}': expected dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _DTYPES:
            supported = ", ".join(_DTYPES)
            raise _bad(name, f"tensor '{key}' has dtype {dtype!r}, which nnlite does not "
                       f"support (supported: {supported})")
        if not (isinstance(shape, list) and all(_is_count(d) for d in shape)):
            raise _bad(name, f"tensor '{key}': shape must be a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_count, offsets))
                and offsets[0] <= offsets[1]):
            raise _bad(name, f"tensor '{key}': data_offsets must be [begin, end] with "
                       "0 <= begin <= end")
        nbytes = math.prod(shape) * np.dtype(_DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise _bad(name, f"tensor '{key}': shape {shape} of {dtype} needs {nbytes} bytes, "
                       f"data_offsets give {offsets[1] - offsets[0]}")
    return header


def _is_count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62


def _data_length(header: dict, name: str) -> int:
    """The tensors' byte ranges must tile the data exactly (no gaps, no overlaps)."""
    spans = sorted((e["data_offsets"][0], e["data_offsets"][1], k) for k, e in header.items()
                   if k != "__metadata__")
    end = 0
    for begin, stop, key in spans:
        if begin != end:
            raise _bad(name, f"tensor '{key}': its data_offsets overlap another tensor or leave "
                       "a gap")
        end = stop
    return end


def _build(header: dict, body: bytearray, name: str):
    arrays = {}
    for key, e in header.items():
        if key == "__metadata__":
            continue
        begin, stop = e["data_offsets"]
        dt = np.dtype(_DTYPES[e["dtype"]])
        arr = np.frombuffer(body, dtype=dt, count=(stop - begin) // dt.itemsize, offset=begin)
        arr = arr.reshape(e["shape"])
        if not arr.flags.aligned:
            arr = arr.copy()
        arrays[key] = arr.astype(dt.newbyteorder("="), copy=False)
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:  # a plain safetensors file (e.g. from safetensors.torch)
        return {k: Tensor._wrap(v) for k, v in arrays.items()}
    try:
        doc = json.loads(meta[_META_KEY])
    except RecursionError:
        raise _bad(name, "the nnlite metadata is nested too deeply") from None
    except ValueError as e:
        raise _bad(name, f"the nnlite metadata is not JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or "structure" not in doc:
        raise _bad(name, f"the nnlite metadata must be {{'format': {_FORMAT}, 'structure': ...}}")
    return _decode(doc["structure"], arrays, name, "<root>", 0)


_safe_globals: list = []


def add_safe_globals(safe_globals: list) -> None:
    """Accepted for PyTorch compatibility; nnlite never unpickles, so nothing needs allowing."""
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    return list(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


class safe_globals:  # noqa: N801 - torch's name
    """``with torch.serialization.safe_globals([...]):`` -- a no-op context (no pickle here)."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._n = len(_safe_globals)
        _safe_globals.extend(self.safe_globals)
        return self

    def __exit__(self, *exc) -> None:
        del _safe_globals[self._n:]


__all__ = ["add_safe_globals", "atomic_write", "clear_safe_globals", "from_bytes",
           "get_safe_globals", "io", "load", "safe_globals", "save", "to_bytes"]
