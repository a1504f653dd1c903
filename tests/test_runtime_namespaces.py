"""torch.backends / accelerator / cuda / default-device / functional / serialization answers."""

import pytest

import nnlite

torch = pytest.importorskip("torch")

SAME_AS_CPU_TORCH = [
    "get_default_device()", "backends.mps.is_available()", "backends.mps.is_built()",
    "backends.cudnn.is_available()", "backends.cudnn.version()", "backends.cudnn.enabled",
    "backends.cudnn.benchmark", "backends.cudnn.deterministic", "backends.cudnn.allow_tf32",
    "backends.cuda.is_built()", "backends.cuda.matmul.allow_tf32",
    "backends.cuda.flash_sdp_enabled()", "backends.cpu.get_cpu_capability()",
    "accelerator.is_available()", "accelerator.current_accelerator()",
    "accelerator.device_count()", "cuda.is_available()", "cuda.device_count()",
    "cuda.memory_allocated()", "cuda.max_memory_allocated()", "cuda.memory_reserved()",
    "cuda.max_memory_reserved()", "cuda.memory_stats()", "cuda.empty_cache()",
    "cuda.is_initialized()", "cuda.is_bf16_supported()", "mps.is_available()",
    "xpu.is_available()",
]


@pytest.mark.parametrize("expr", SAME_AS_CPU_TORCH)
def test_answers_match_a_cpu_only_torch(expr):
    assert repr(eval("nnlite." + expr)) == repr(eval("torch." + expr))


def test_device_calls_raise_torchs_assertion():
    for name in ("current_device", "get_device_name", "mem_get_info"):
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            getattr(torch.cuda, name)()
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            getattr(nnlite.cuda, name)()
    nnlite.set_default_device("cpu")
    nnlite.set_default_device(None)
    with pytest.raises(AssertionError):
        nnlite.set_default_device("cuda")
    assert str(nnlite.get_default_device()) == "cpu"
    nnlite.cuda.reset_peak_memory_stats()  # a no-op here (torch CPU raises AttributeError)


def test_switches_are_settable_and_flags_restores_them():
    cudnn = nnlite.backends.cudnn
    old = cudnn.deterministic, cudnn.benchmark
    try:
        cudnn.deterministic, cudnn.benchmark = True, True
        import nnlite.backends.cudnn as again

        assert again.deterministic and again.benchmark
        with cudnn.flags(enabled=False, deterministic=False):
            assert not cudnn.enabled and not cudnn.deterministic
        assert cudnn.enabled and cudnn.deterministic
    finally:
        cudnn.deterministic, cudnn.benchmark = old


def test_functional_module_and_missing_attribute():
    for name in nnlite.functional.__all__:
        assert name in torch.functional.__all__
        assert getattr(nnlite.functional, name) is getattr(nnlite, name)
    a = nnlite.functional.einsum("ij,jk->ik", nnlite.ones(2, 3), nnlite.ones(3, 4))
    assert a.tolist() == torch.functional.einsum("ij,jk->ik", torch.ones(2, 3),
                                                 torch.ones(3, 4)).tolist()
    assert not hasattr(nnlite, "no_such_module_here")


def test_safe_globals_is_a_no_op_context(tmp_path):
    class Cfg:
        pass

    ser = nnlite.serialization
    ser.clear_safe_globals()
    ser.add_safe_globals([Cfg])
    with ser.safe_globals([int]):
        assert ser.get_safe_globals() == [Cfg, int]
    assert ser.get_safe_globals() == [Cfg]
    ser.clear_safe_globals()
    p = tmp_path / "w.pt"
    nnlite.save({"w": nnlite.ones(2)}, p)
    with ser.safe_globals([Cfg]):
        assert nnlite.load(p)["w"].tolist() == [1.0, 1.0]
