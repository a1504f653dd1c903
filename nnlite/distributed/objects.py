"""Object collectives (``broadcast_object_list``, ``all_gather_object``, ``gather_object``).

torch pickles the objects; here they travel as JSON, so a rank never unpickles bytes another
process sent. JSON is extended with tagged forms for what training code exchanges: tuples,
dicts with non-string keys, sets, bytes, numpy arrays and scalars, Tensors, NaN/inf. Any other
type raises a TypeError naming it; a job that trusts all of its ranks can opt into pickle with
``set_object_pickling(True)``.
"""

from __future__ import annotations

import base64
import json
import pickle

import numpy as np

from nnlite._tensor import Tensor
from nnlite.distributed import process_group as pg

_pickle = False


def set_object_pickling(enabled: bool) -> None:
    """Send objects the JSON encoding cannot hold with pickle (only for trusted jobs)."""
    global _pickle
    _pickle = bool(enabled)


def _encode(obj):
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return {"__float__": repr(obj)}
        return obj
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(x) for x in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"__set__": [_encode(x) for x in obj]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, bytes):
        return {"__bytes__": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, Tensor):
        return {"__tensor__": _encode(obj._data)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufc":
            raise TypeError(f"cannot send a numpy array of dtype {obj.dtype} as an object")
        return {"__ndarray__": base64.b64encode(np.ascontiguousarray(obj).tobytes()).decode(),
                "dtype": obj.dtype.str, "shape": list(obj.shape)}
    if isinstance(obj, np.generic):
        return _encode(obj.item())
    if _pickle:
        return {"__pickle__": base64.b64encode(pickle.dumps(obj)).decode("ascii")}
    raise TypeError(
        f"cannot send an object of type {type(obj).__name__} between ranks: nnlite sends "
        "objects as JSON (None, bool, int, float, str, list, tuple, dict, set, bytes, numpy "
        "arrays, Tensors); call nnlite.distributed.set_object_pickling(True) to pickle others"
    )


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(x) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tuple__" in obj:
        return tuple(_decode(x) for x in obj["__tuple__"])
    if "__set__" in obj:
        return set(_decode(x) for x in obj["__set__"])
    if "__dict__" in obj:
        return {_hashable(_decode(k)): _decode(v) for k, v in obj["__dict__"]}
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__bytes__" in obj:
        return base64.b64decode(obj["__bytes__"])
    if "__ndarray__" in obj:
        raw = base64.b64decode(obj["__ndarray__"])
        return np.frombuffer(raw, np.dtype(obj["dtype"])).reshape(obj["shape"]).copy()
    if "__tensor__" in obj:
        return Tensor._wrap(_decode(obj["__tensor__"]))
    if "__pickle__" in obj:
        if not _pickle:
            raise RuntimeError(
                "another rank sent a pickled object but this rank has not called "
                "set_object_pickling(True)"
            )
        return pickle.loads(base64.b64decode(obj["__pickle__"]))
    return {k: _decode(v) for k, v in obj.items()}


def _hashable(x):
    return tuple(_hashable(e) for e in x) if isinstance(x, list) else x


def dumps(obj) -> bytes:
    return json.dumps(_encode(obj), separators=(",", ":")).encode("utf-8")


def loads(data: bytes):
    return _decode(json.loads(data.decode("utf-8")))


def _bytes_from_ranks(payload: bytes, root: int | None):
    """Every rank's payload (``root`` None: on every rank) or root's payload on every rank."""
    g = pg._require()
    mine = np.frombuffer(payload, np.uint8)
    if g.mpi is None:
        return [payload]
    comm = g.comm
    g.calls += 1
    if root is not None:  # broadcast
        n = np.array([mine.size if g.rank == root else 0], np.int64)
        pg.wait(comm.Ibcast(n, root=root), "broadcast_object_list")
        buf = mine.copy() if g.rank == root else np.empty(int(n[0]), np.uint8)
        pg.wait(comm.Ibcast(buf, root=root), "broadcast_object_list")
        return [buf.tobytes()]
    sizes = np.empty(g.size, np.int64)
    pg.wait(comm.Iallgather(np.array([mine.size], np.int64), sizes), "all_gather_object")
    out = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pg.wait(comm.Iallgatherv(mine, [out, (sizes, offsets)]), "all_gather_object")
    return [out[o:o + s].tobytes() for o, s in zip(offsets, sizes)]


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None,
                          group_src=None) -> None:
    """Replace the entries of ``object_list`` on every rank with rank ``src``'s, in place."""
    g = pg._require()
    src = src if group_src is None else group_src
    if not 0 <= src < g.size:
        raise ValueError(f"src={src} is not a rank of this group (0..{g.size - 1})")
    payload = dumps(list(object_list)) if g.rank == src else b""
    data = _bytes_from_ranks(payload, src)[0]
    if g.rank != src:
        got = loads(data)
        if len(got) != len(object_list):
            pg.abort(f"broadcast_object_list: rank {src} sent {len(got)} objects but this "
                     f"rank's object_list has {len(object_list)} slots")
        object_list[:] = got


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[r]`` = rank r's ``obj``, on every rank."""
    g = pg._require()
    if len(object_list) != g.size:
        raise ValueError(
            f"all_gather_object: object_list has {len(object_list)} slots; it needs "
            f"world_size={g.size}"
        )
    datas = _bytes_from_ranks(dumps(obj), None)
    object_list[:] = [loads(d) for d in datas]


def gather_object(obj, object_gather_list=None, dst: int = 0, group=None) -> None:
    """Rank ``dst`` receives every rank's ``obj`` into ``object_gather_list``."""
    g = pg._require()
    if g.rank == dst and (object_gather_list is None or len(object_gather_list) != g.size):
        raise ValueError(
            f"gather_object: rank {dst} needs an object_gather_list of world_size={g.size}"
        )
    datas = _bytes_from_ranks(dumps(obj), None)
    if g.rank == dst:
        object_gather_list[:] = [loads(d) for d in datas]
