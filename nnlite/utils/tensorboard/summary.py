"""Summary protos for scalars, histograms and text, as ``torch.utils.tensorboard.summary``
builds them (so TensorBoard shows nnlite's logs exactly as PyTorch's)."""

from __future__ import annotations

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from nnlite._tensor import Tensor


def to_numpy(x) -> np.ndarray:
    """A tensor, array, number or list as a numpy array (detached, on the CPU)."""
    if isinstance(x, Tensor):
        return x.detach()._data
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a real torch tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


def tensorflow_bins() -> list[float]:
    """TensorFlow's default histogram edges: +-1e-12 growing by 10 % to 1e20, and 0."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0.0] + pos


def scalar(tag: str, value) -> Summary:
    v = to_numpy(value).squeeze()
    if v.ndim != 0:
        raise ValueError(f"scalar should be 0D, got a value of shape {v.shape}")
    return Summary(value=[Summary.Value(tag=tag, simple_value=float(v))])


def histogram(tag: str, values, bins, max_bins: int | None = None) -> Summary:
    return Summary(value=[Summary.Value(tag=tag, histo=make_histogram(
        to_numpy(values).astype(float), bins, max_bins))])


def make_histogram(values: np.ndarray, bins, max_bins: int | None = None) -> HistogramProto:
    """Bucket ``values``; keep only the buckets from the first to the last non-empty one (plus
    one empty bucket on the left, which is how TensorBoard reads the lower edge)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        # merge neighbouring buckets so that at most max_bins remain
        factor = len(counts) // max_bins
        pad = (-len(counts)) % factor
        counts = np.pad(counts, (0, pad)).reshape(-1, factor).sum(1)
        limits = np.concatenate([limits[:-1][::factor], limits[-1:]])
    nonzero = np.flatnonzero(counts)
    if len(nonzero) == 0:
        raise ValueError("The histogram is empty (all values lie outside the bins).")
    first, last = int(nonzero[0]), int(nonzero[-1])
    kept = counts[max(first - 1, 0) : last + 1]
    if first == 0:
        kept = np.concatenate([[0], kept])
    edges = limits[first : last + 2]
    return HistogramProto(min=float(values.min()), max=float(values.max()), num=len(values),
                          sum=float(values.sum()), sum_squares=float(values.dot(values)),
                          bucket_limit=edges.tolist(), bucket=kept.tolist())


def text(tag: str, text_string: str) -> Summary:
    plugin = SummaryMetadata.PluginData(plugin_name="text",
                                        content=TextPluginData(version=0).SerializeToString())
    tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary",
                                        metadata=SummaryMetadata(plugin_data=plugin),
                                        tensor=tensor)])
