"""``torch.nn.utils.skip_init``: build a module without running its parameter init."""

from __future__ import annotations

import inspect

from nnlite.nn.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` whose parameters and buffers hold unspecified values
    (torch builds it on the meta device, then allocates; nnlite builds it and leaves the values:
    the point, not paying for an init that will be overwritten, is moot on numpy's scale).

    Raises:
        RuntimeError: ``module_cls`` is no Module class or takes no ``device`` argument (torch's
            conditions).
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")  # noqa: TRY004 (torch's type)
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.pop("device", None)
    return module_cls(*args, **kwargs)
