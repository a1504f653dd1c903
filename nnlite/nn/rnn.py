"""Recurrent layers: RNN, LSTM, GRU and their cells, as PyTorch's ``torch.nn`` defines them.

Each layer is a composite of differentiable ops, in the order PyTorch's CPU kernels use:

* the input projection of a whole layer is one BLAS product, ``X W_ih^T + b_ih`` over all
  time steps (PyTorch precomputes it too), then per step ``gates = h W_hh^T + b_hh + x_t``;
* RNN: ``h' = act(gates)``;
* LSTM: ``i, f, g, o = chunk(gates, 4)``, ``c' = sigmoid(f) c + sigmoid(i) tanh(g)``,
  ``h' = sigmoid(o) tanh(c')`` (then ``h' = h' W_hr^T`` with ``proj_size``);
* GRU: ``r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)``, ``n = tanh(x_n + r (W_hn h + b_hn))``,
  ``h' = (h - n) z + n``.

Parameters are registered (and drawn from ``U(-1/sqrt(hidden), 1/sqrt(hidden))``) in PyTorch's
order, so the same seed gives PyTorch's initial weights; names and state_dict keys are PyTorch's
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ...). The backward is the composite's, so double
backward works.
"""

from __future__ import annotations

import math
import numbers
import warnings

from nnlite._tensor import Tensor, _check_device
from nnlite.nn import init
from nnlite.nn.module import Module
from nnlite.nn.parameter import Parameter
from nnlite.nn.utils.rnn import PackedSequence
from nnlite.ops.creation import empty, zeros
from nnlite.ops.nn import dropout as _dropout
from nnlite.ops.nn import linear as _linear_ops
from nnlite.ops.shape import cat, stack

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]


# ---- one step of each cell (x_proj = x W_ih^T + b_ih, already computed) ----------------------


def _rnn_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh, relu: bool) -> Tensor:
    pre = _linear_ops.linear(h, w_hh, b_hh) + xp
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xp: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh, w_hr):
    gates = _linear_ops.linear(h, w_hh, b_hh) + xp
    i, f, g, o = gates.chunk(4, 1)
    c_new = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h_new = o.sigmoid() * c_new.tanh()
    if w_hr is not None:
        h_new = _linear_ops.linear(h_new, w_hr)
    return h_new, c_new


def _gru_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    gh = _linear_ops.linear(h, w_hh, b_hh)
    x_r, x_z, x_n = xp.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r = (h_r + x_r).sigmoid()
    z = (h_z + x_z).sigmoid()
    n = (x_n + h_n * r).tanh()
    return (h - n) * z + n


def _run_direction(mode: str, x: Tensor, state, weights, reverse: bool):
    """One layer, one direction over ``x`` (L, N, H_in) -> (outputs (L, N, H), final state)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    length = x.shape[0]
    xp = _linear_ops.linear(x, w_ih, b_ih)  # (L, N, G): one product for all steps
    steps = range(length - 1, -1, -1) if reverse else range(length)
    outs = [None] * length
    if mode == "LSTM":
        h, c = state
        for t in steps:
            h, c = _lstm_step(xp[t], h, c, w_hh, b_hh, w_hr)
            outs[t] = h
        final = (h, c)
    else:
        h = state
        for t in steps:
            if mode == "GRU":
                h = _gru_step(xp[t], h, w_hh, b_hh)
            else:
                h = _rnn_step(xp[t], h, w_hh, b_hh, mode == "RNN_RELU")
            outs[t] = h
        final = h
    if length == 0:
        return x.new_zeros((0,) + tuple(h.shape)), final
    return stack(outs, 0), final


def _rnn_forward(mode: str, x: Tensor, hx, weights, num_layers: int, dropout: float,
                 training: bool, bidirectional: bool):
    """The stacked (bi)directional recurrence on time-major ``x`` (L, N, H_in).

    ``hx``: h0 (layers*dirs, N, H), or (h0, c0) for LSTM. ``weights[layer*dirs + d]`` is
    ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` with None where absent.
    """
    dirs = 2 if bidirectional else 1
    lstm = mode == "LSTM"
    h_list, c_list = [], []
    layer_in = x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            state = (hx[0][k], hx[1][k]) if lstm else hx[k]
            out, final = _run_direction(mode, layer_in, state, weights[k], reverse=d == 1)
            outs.append(out)
            if lstm:
                h_list.append(final[0])
                c_list.append(final[1])
            else:
                h_list.append(final)
        layer_out = outs[0] if dirs == 1 else cat(outs, -1)
        if dropout != 0 and training and layer < num_layers - 1:
            layer_out = _dropout.dropout(layer_out, dropout, True)
        layer_in = layer_out
    h_n = stack(h_list, 0)
    return layer_in, ((h_n, stack(c_list, 0)) if lstm else h_n)


def _run_direction_packed(mode: str, data: Tensor, batch_sizes, state, weights, reverse: bool):
    """One layer, one direction over packed ``data`` (sum(batch_sizes), H_in): the rows of
    step ``t`` are the first ``batch_sizes[t]`` sequences (sorted by decreasing length), so a
    sequence's state stops changing after its last step (forward) or starts from ``state`` at
    its last step (reverse). Returns (packed outputs, final state of every sequence)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    xp = _linear_ops.linear(data, w_ih, b_ih)
    sizes = [int(b) for b in batch_sizes]
    starts = [0]
    for b in sizes[:-1]:
        starts.append(starts[-1] + b)
    lstm = mode == "LSTM"
    h0, c0 = state if lstm else (state, None)
    outs = [None] * len(sizes)

    def step(xt, h, c):
        if lstm:
            return _lstm_step(xt, h, c, w_hh, b_hh, w_hr)
        if mode == "GRU":
            return _gru_step(xt, h, w_hh, b_hh), None
        return _rnn_step(xt, h, w_hh, b_hh, mode == "RNN_RELU"), None

    if not reverse:
        h, c = h0, c0
        for t, b in enumerate(sizes):
            hb, cb = step(xp[starts[t]:starts[t] + b], h[:b], c[:b] if lstm else None)
            outs[t] = hb
            if b < h.shape[0]:  # sequences that ended keep their last state
                hb = cat([hb, h[b:]], 0)
                cb = cat([cb, c[b:]], 0) if lstm else None
            h, c = hb, cb
    else:
        h = c = None
        for t in range(len(sizes) - 1, -1, -1):
            b = sizes[t]
            have = 0 if h is None else h.shape[0]
            if b > have:  # sequences whose last step is t start here from the initial state
                h = h0[:b] if h is None else cat([h, h0[have:b]], 0)
                if lstm:
                    c = c0[:b] if c is None else cat([c, c0[have:b]], 0)
            h, c = step(xp[starts[t]:starts[t] + b], h, c)
            outs[t] = h
    out = cat(outs, 0) if outs else data.new_zeros((0, h0.shape[-1]))
    return out, ((h, c) if lstm else h)


def _rnn_forward_packed(mode: str, data: Tensor, batch_sizes, hx, weights, num_layers: int,
                        dropout: float, training: bool, bidirectional: bool):
    """:func:`_rnn_forward` over packed ``data``; ``hx`` in the packed (sorted) batch order."""
    dirs = 2 if bidirectional else 1
    lstm = mode == "LSTM"
    h_list, c_list = [], []
    layer_in = data
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            state = (hx[0][k], hx[1][k]) if lstm else hx[k]
            out, final = _run_direction_packed(mode, layer_in, batch_sizes, state, weights[k],
                                               reverse=d == 1)
            outs.append(out)
            h_list.append(final[0] if lstm else final)
            if lstm:
                c_list.append(final[1])
        layer_out = outs[0] if dirs == 1 else cat(outs, -1)
        if dropout != 0 and training and layer < num_layers - 1:
            layer_out = _dropout.dropout(layer_out, dropout, True)
        layer_in = layer_out
    h_n = stack(h_list, 0)
    return layer_in, ((h_n, stack(c_list, 0)) if lstm else h_n)


# ---- modules -------------------------------------------------------------------------------


def _mini_batch(rnn, input: Tensor, batch_sizes) -> int:
    if batch_sizes is not None:
        return int(batch_sizes[0])
    return input.size(0) if rnn.batch_first else input.size(1)


def _dtype_name(t) -> str:
    return str(t.dtype)


class RNNBase(Module):
    """Shared parameters, checks and repr of RNN, LSTM and GRU (PyTorch's ``RNNBase``)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        _check_device(device)
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(
                f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(
                f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gate_size = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gate_size is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size *= hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        real_hidden = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                params = [Parameter(empty((gate_size, layer_input_size), dtype=dtype)),
                          Parameter(empty((gate_size, real_hidden), dtype=dtype))]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    params += [Parameter(empty(gate_size, dtype=dtype)),
                               Parameter(empty(gate_size, dtype=dtype))]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    params.append(Parameter(empty((proj_size, hidden_size), dtype=dtype)))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, p in zip(names, params):
                    setattr(self, name, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch packs weights for cuDNN here)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _layer_weights(self) -> list:
        out = []
        for names in self._all_weights:
            get = {n.split("_l")[0]: getattr(self, n) for n in names}
            out.append((get["weight_ih"], get["weight_hh"], get.get("bias_ih"),
                        get.get("bias_hh"), get.get("weight_hr")))
        return out

    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        w0 = getattr(self, self._flat_weights_names[0])
        if input.dtype != w0.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w0.dtype}). "
                f"Convert input: input.to({w0.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple:
        mini_batch = _mini_batch(self, input, batch_sizes)
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def _run(self, input: Tensor, hx):
        """Time-major run of the checked, batched input; returns (output, hidden)."""
        x = input.transpose(0, 1) if self.batch_first else input
        out, hidden = _rnn_forward(self.mode, x, hx, self._layer_weights(), self.num_layers,
                                   self.dropout, self.training, self.bidirectional)
        if self.batch_first:
            out = out.transpose(0, 1)
        return out, hidden

    def _zeros(self, input: Tensor, size: int) -> Tensor:
        n = input.size(0) if self.batch_first else input.size(1)
        dirs = 2 if self.bidirectional else 1
        return zeros(self.num_layers * dirs, n, size, dtype=input.dtype)

    def _forward_packed(self, packed: PackedSequence, hx):
        """``forward`` on a PackedSequence: ``hx`` (given in the batch's own order) is put in
        the packed order, the output is packed like the input, ``h_n`` holds each sequence's
        state after its last real step, back in the batch's order (as torch)."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        lstm = self.mode == "LSTM"
        if hx is None:
            n = int(batch_sizes[0]) if len(batch_sizes) else 0
            dirs = 2 if self.bidirectional else 1
            real = self.proj_size if self.proj_size > 0 else self.hidden_size
            h0 = zeros(self.num_layers * dirs, n, real, dtype=data.dtype)
            hx = (h0, zeros(self.num_layers * dirs, n, self.hidden_size,
                            dtype=data.dtype)) if lstm else h0
        elif sorted_indices is not None:
            hx = (tuple(h.index_select(1, sorted_indices) for h in hx) if lstm
                  else hx.index_select(1, sorted_indices))
        self.check_forward_args(data, hx, batch_sizes)
        out, hidden = _rnn_forward_packed(
            self.mode, data, batch_sizes.tolist(), hx, self._layer_weights(), self.num_layers,
            self.dropout, self.training, self.bidirectional)
        if unsorted_indices is not None:
            hidden = (tuple(h.index_select(1, unsorted_indices) for h in hidden) if lstm
                      else hidden.index_select(1, unsorted_indices))
        return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), hidden

    def _forward_single_state(self, input: Tensor, hx, name: str):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(
                        f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D "
                        "tensor")
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        if hx is None:
            hx = self._zeros(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, hidden = self._run(input, hx)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = hidden.squeeze(1)
        return output, hidden

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    Args as PyTorch: ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)``. Input (L, N, H_in)
    (or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in)); returns ``(output, h_n)``.

    Example:
        >>> rnn = nn.RNN(4, 8, num_layers=2)
        >>> out, h = rnn(torch.randn(5, 3, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 3, 8]), torch.Size([2, 3, 8]))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_single_state(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n in PyTorch's order and formula)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Example:
        >>> gru = nn.GRU(4, 8, batch_first=True)
        >>> out, h = gru(torch.randn(3, 5, 4))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_single_state(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o in PyTorch's order)::

        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (W_i* x + b_i* + W_h* h + b_h*)
        c' = f * c + i * g
        h' = o * tanh(c')          (h' = W_hr h' with proj_size > 0)

    Returns ``(output, (h_n, c_n))``.

    Example:
        >>> lstm = nn.LSTM(4, 8, num_layers=2, bidirectional=True)
        >>> out, (h, c) = lstm(torch.randn(5, 3, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 3, 16]), torch.Size([4, 3, 8]))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple:
        mini_batch = _mini_batch(self, input, batch_sizes)
        dirs = 2 if self.bidirectional else 1
        return (self.num_layers * dirs, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input: Tensor, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zeros(input, real_hidden), self._zeros(input, self.hidden_size))
        else:
            if is_batched:
                if hx[0].dim() != 3 or hx[1].dim() != 3:
                    raise RuntimeError(
                        "For batched 3-D input, hx and cx should also be 3-D but got "
                        f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            else:
                if hx[0].dim() != 2 or hx[1].dim() != 2:
                    raise RuntimeError(
                        "For unbatched 2-D input, hx and cx should also be 2-D but got "
                        f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        output, (h_n, c_n) = self._run(input, hx)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


# ---- cells ---------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Parameters ``weight_ih`` (chunks*H, H_in), ``weight_hh`` (chunks*H, H), ``bias_ih``,
    ``bias_hh``, drawn from ``U(-1/sqrt(H), 1/sqrt(H))`` in that order (as PyTorch)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batch(self, input: Tensor, name: str):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        is_batched = input.dim() == 2
        return (input if is_batched else input.unsqueeze(0)), is_batched

    def _check(self, input: Tensor, hx: Tensor, hidden_label: str = "") -> None:
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden"
                               f"{hidden_label} batch size {hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{hidden_label} has inconsistent hidden_size: got "
                               f"{hx.size(1)}, expected {self.hidden_size}")


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Example:
        >>> cell = nn.RNNCell(4, 8)
        >>> h = cell(torch.randn(3, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        _check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        x, is_batched = self._batch(input, "RNNCell")
        if hx is None:
            hx = zeros(x.size(0), self.hidden_size, dtype=x.dtype)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(x, hx)
        xp = _linear_ops.linear(x, self.weight_ih, self.bias_ih)
        ret = _rnn_step(xp, hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    Example:
        >>> cell = nn.LSTMCell(4, 8)
        >>> h, c = cell(torch.randn(3, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        _check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        x, is_batched = self._batch(input, "LSTMCell")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        if hx is None:
            z = zeros(x.size(0), self.hidden_size, dtype=x.dtype)
            hx = (z, z)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check(x, hx[0], "[0]")
        self._check(x, hx[1], "[1]")
        xp = _linear_ops.linear(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(xp, hx[0], hx[1], self.weight_hh, self.bias_hh, None)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's gate order and formula, see :class:`GRU`).

    Example:
        >>> cell = nn.GRUCell(4, 8)
        >>> h = cell(torch.randn(3, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        _check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        x, is_batched = self._batch(input, "GRUCell")
        if hx is None:
            hx = zeros(x.size(0), self.hidden_size, dtype=x.dtype)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        self._check(x, hx)
        xp = _linear_ops.linear(x, self.weight_ih, self.bias_ih)
        ret = _gru_step(xp, hx, self.weight_hh, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
