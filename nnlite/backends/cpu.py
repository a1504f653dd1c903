"""``torch.backends.cpu``: the CPU is nnlite's only device."""


def get_cpu_capability() -> str:
    """The SIMD level numpy's kernels were dispatched to (torch: "AVX2", "AVX512", "DEFAULT")."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except Exception:  # pragma: no cover - older or stripped numpy
        return "DEFAULT"
    if feats.get("AVX512F") and feats.get("AVX512BW"):
        return "AVX512"
    if feats.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
