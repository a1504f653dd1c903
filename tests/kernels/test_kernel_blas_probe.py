"""Loading nnlite's kernels does not import ``scipy.linalg`` (numba's BLAS probe answered without
it, ``nnlite.kernels._jit``), and numba's answer and its BLAS support stay what they were."""

import glob
import os
import subprocess
import sys

import pytest

numba = pytest.importorskip("numba")
scipy = pytest.importorskip("scipy")


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=240, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_kernel_runs_without_importing_scipy_linalg():
    got = _run(
        "import sys, numpy as np\n"
        "from nnlite.kernels import elementwise as E\n"
        "y = E.relu_forward(np.array([-1.0, 2.0], np.float32))\n"
        "assert y.tolist() == [0.0, 2.0]\n"
        "import numba.np.arraymath as am\n"
        "print('scipy.linalg' in sys.modules, am._HAVE_BLAS)\n")
    has_blas = any(glob.glob(os.path.join(p, "linalg", "cython_blas.*"))
                   for p in scipy.__path__)
    assert got == f"False {has_blas}"


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
