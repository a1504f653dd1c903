"""``nnlite.save`` / ``nnlite.load``: state dicts and checkpoints as data, never code.

The file is a safetensors file. Every tensor in the saved object becomes one safetensors entry;
everything else (dicts — with str or int keys —, lists, tuples, numbers, strings, bools, None)
is recorded as JSON in the safetensors metadata under ``"nnlite"``, with each tensor replaced by a
reference to its entry. A flat ``{name: Tensor}`` state dict therefore stores its tensors under
their own names, so ``safetensors.torch.load_file(path)`` reads it straight into PyTorch.

No pickle anywhere: loading a file cannot run code. Writes are atomic (a temporary file in the
same directory, flushed and fsynced, then ``os.replace``), so a crash mid-save leaves the previous
file intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile

import numpy as np

from nnlite._tensor import Tensor

_META_KEY = "nnlite"
_FORMAT = 1


def _encode(obj, path: str, tensors: dict):
    """JSON-able description of ``obj``; tensors are moved into ``tensors``."""
    if isinstance(obj, (Tensor, np.ndarray)):
        arr = obj._data if isinstance(obj, Tensor) else obj
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
            items.append([k, _encode(v, f"{path}.{k}" if path else str(k), tensors)])
        return {"D": items}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, f"{path}.{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"L": enc} if isinstance(obj, list) else {"U": enc}
    raise TypeError(
        f"nnlite.save: cannot save an object of type {type(obj).__name__} at '{path or '<root>'}' "
        "(only tensors, numbers, strings, None and dicts/lists/tuples of them: no pickle)"
    )


def _decode(node, arrays: dict):
    if not isinstance(node, dict):
        return node
    if "T" in node:
        arr = arrays[node["T"]]
        return arr if node.get("np") else Tensor._wrap(arr)
    if "F" in node:
        return float(node["F"])
    if "D" in node:
        return {k: _decode(v, arrays) for k, v in node["D"]}
    if "L" in node:
        return [_decode(v, arrays) for v in node["L"]]
    return tuple(_decode(v, arrays) for v in node["U"])


def to_bytes(obj, metadata: dict | None = None) -> bytes:
    """The safetensors bytes ``save`` writes for ``obj``."""
    from safetensors.numpy import save

    tensors: dict = {}
    structure = _encode(obj, "", tensors)
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta[_META_KEY] = json.dumps({"format": _FORMAT, "structure": structure})
    return save(tensors, metadata=meta)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix="-" + os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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


def from_bytes(data: bytes):
    from safetensors.numpy import load

    arrays = load(data)
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    meta = header.get("__metadata__") or {}
    if _META_KEY not in meta:  # a plain safetensors file (e.g. from safetensors.torch)
        return {k: Tensor._wrap(v) for k, v in arrays.items()}
    return _decode(json.loads(meta[_META_KEY])["structure"], arrays)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **_):
    """Load what ``save`` wrote (or any safetensors file, as a ``{name: Tensor}`` dict).

    ``map_location``/``weights_only``/``mmap`` are accepted for PyTorch compatibility; loading
    never runs code whatever they say.
    """
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(f, "rb") as fh:
            data = fh.read()
    if len(data) < 8:
        raise RuntimeError(f"nnlite.load: {f!r} is not an nnlite/safetensors file (too short)")
    try:
        return from_bytes(data)
    except (ValueError, KeyError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RuntimeError(f"nnlite.load: {f!r} is not an nnlite/safetensors file ({e})") from None
    except Exception as e:  # safetensors raises its own SafetensorError
        if type(e).__name__ == "SafetensorError":
            raise RuntimeError(f"nnlite.load: {f!r} is not a valid safetensors file ({e})") from None
        raise


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
