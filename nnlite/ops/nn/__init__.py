"""The ops behind ``torch.nn.functional``, one file per family.

linear (linear, bilinear), activations, dropout, norms (batch/layer/group/instance norm,
normalize), losses, conv (convolution, transposed convolution, padding modes), pool, embedding
(embedding, one_hot), distance, padding (``pad``), upsample (interpolate, pixel shuffle),
attention (scaled dot-product attention). ``nnlite.nn.functional`` is the facade: it handles
PyTorch's arguments (``inplace=``, ``size_average``/``reduce``) and calls these.
"""
