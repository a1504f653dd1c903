"""How nnlite's kernels meet numba (``nnlite.kernels._jit``): a kernel loaded from numba's cache
skips numba's compiler set-up (no registries imported), a kernel compiled on a cold cache gets
the full set-up without importing ``scipy.linalg`` (numba's BLAS probe answered from the file
system), numba's answer stays what it was, and jitted BLAS still works."""

import glob
import os
import subprocess
import sys

import pytest

numba = pytest.importorskip("numba")
scipy = pytest.importorskip("scipy")

KERNEL = (
    "import sys, numpy as np\n"
    "from nnlite.kernels import elementwise as E\n"
    "y = E.relu_forward(np.array([-1.0, 2.0], np.float32))\n"
    "assert y.tolist() == [0.0, 2.0]\n"
    "print('numba.np.arraymath' in sys.modules, 'scipy.linalg' in sys.modules,"
    " sum(E._relu_fwd_kernel.stats.cache_hits.values()))\n"
    "import numba.np.arraymath as am\n"
    "print(am._HAVE_BLAS)\n")


def _run(code: str, env=None) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=240, check=False, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_compile_then_cache_load(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    has_blas = any(glob.glob(os.path.join(p, "linalg", "cython_blas.*"))
                   for p in scipy.__path__)
    # cold: the kernel compiles; the registries are loaded (arraymath imported) without
    # scipy.linalg, and arraymath's BLAS answer is numba's
    assert _run(KERNEL, env).splitlines() == ["True False 0", str(has_blas)]
    # warm: the same kernel comes from the cache without the registries (arraymath not
    # imported until the code below imports it itself)
    assert _run(KERNEL, env).splitlines()[0] == "False False 1"


def test_jitted_blas_still_works_and_imports_scipy_when_used():
    got = _run(
        "import sys, numpy as np, numba\n"
        "import nnlite.kernels._jit\n"
        "@numba.njit\n"
        "def f(a, b):\n"
        "    return np.dot(a, b)\n"
        "a = np.arange(6.0).reshape(2, 3)\n"
        "assert np.array_equal(f(a, a.T), a @ a.T)\n"
        "print('scipy.linalg' in sys.modules)\n")
    assert got == "True"  # numba's own check ran (it imports scipy.linalg) when BLAS was used


def test_jitted_blas_after_a_cached_kernel(tmp_path):
    """A user's own jitted code compiled after nnlite's kernels loaded from the cache (no
    registries yet): numba's compile sets everything up itself."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    _run(KERNEL, env)  # fills the cache
    got = _run(
        "import sys, numpy as np, numba\n"
        "from nnlite.kernels import elementwise as E\n"
        "E.relu_forward(np.ones(3, np.float32))\n"
        "assert 'numba.np.arraymath' not in sys.modules\n"
        "@numba.njit\n"
        "def f(a, b):\n"
        "    return np.dot(a, b) + np.sum(np.exp(a))\n"
        "a = np.arange(4.0).reshape(2, 2)\n"
        "assert np.allclose(f(a, a), a @ a + np.exp(a).sum())\n"
        "print('ok')\n", env)
    assert got == "ok"


FALLBACKS = {
    # the switch back to numba's own cache path
    "switch": ("", {"NNLITE_NUMBA_QUICK_LOAD": "0"}),
    # numba without one of the internals the quick load uses
    "missing": (("import nnlite.kernels._jit as J\n"
                 "J._REQUIRED = J._REQUIRED + (('rtsys', 'no_such_attribute'),)\n"), {}),
    # the quick load raising (numba internals that changed behaviour)
    "raises": (("import nnlite.kernels._jit as J\n"
                "def boom(*a):\n"
                "    raise RuntimeError('internals changed')\n"
                "J._quick_load = boom\n"), {}),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_numba_own_cache_path_when_the_quick_load_cannot_run(tmp_path, case):
    """The kernel still loads from numba's cache (a hit, the right values), through numba's own
    path: the full set-up ran (arraymath imported), still without scipy.linalg."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    _run(KERNEL, env)  # fills the cache
    prelude, extra = FALLBACKS[case]
    got = _run(prelude + KERNEL, dict(env, **extra)).splitlines()[0].split()
    assert got[0] == "True" and got[2] == "1", (case, got)
    if case == "raises":  # numba's plain njit (the other cases) may import scipy.linalg
        assert got[1] == "False"


def test_the_quick_load_is_on_with_this_numba():
    """The fallback above is not what runs here: with the numba the project pins, every
    internal is there (a test that would notice a numba upgrade turning the quick load off)."""
    from nnlite.kernels import _jit

    if numba.config.DISABLE_JIT:
        pytest.skip("NUMBA_DISABLE_JIT")
    assert _jit._quick_load_available()
