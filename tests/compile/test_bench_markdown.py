"""bench/bench_train.py --markdown: the README table is built from the run's numbers (no
timing here: synthetic results in, the table's cells and ratios out)."""

from __future__ import annotations

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_train_md", os.path.join(ROOT, "bench", "bench_train.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_markdown_table_carries_the_runs_numbers():
    B = _bench()
    info = {"date": "2026-12-01T15:00:00", "cpu": "Test CPU 9000", "cores": 2,
            "loadavg": [0.05, 0.1, 0.2], "blas": "openblas 0.3.31 (Haswell, 2 threads)"}
    row = {"workload": "mid", "optimizer": "sgd", "threads": 2, "impls": {
        "torch": {"median": 100.0, "min": 90.0, "max": 110.0},
        "nnlite-compiled": {"median": 125.0, "min": 120.0, "max": 130.0, "roof_fraction": 0.5},
        "numpy": {"median": 110.0, "min": 100.0, "max": 115.0}},
        "nnlite-compiled/torch": 1.25, "nnlite-compiled/numpy": 125 / 110,
        "roofline": {"steps_per_s": 250.0}}
    text = B.markdown(info, [row], {"torch": "torch 2.13.0 (2 threads, fused=True)"}, 9,
                      B._blas_summary({"a": ["openblas", 2], "b": ["openblas", 1],
                                       "c": ["openblas", 2]}))
    lines = text.splitlines()
    assert "Test CPU 9000" in lines[0] and "2026-12-01T15:00:00" in lines[0]
    assert "median of 9 rounds" in text and "openblas 0.3.31" in text
    assert "2 classes openblas 2 thr" in text and "1 classes openblas 1 thr" in text
    head = next(ln for ln in lines if ln.startswith("| threads"))
    cols = [c.strip() for c in head.strip("|").split("|")]
    assert cols[:6] == ["threads", "workload", "opt", "torch", "nnlite compiled", "numpy"]
    body = next(ln for ln in lines if ln.startswith("| 2 | mid | sgd"))
    cells = dict(zip(cols, (c.strip() for c in body.strip("|").split("|")), strict=True))
    assert cells["torch"] == "100 (90-110)" and cells["nnlite compiled"] == "125 (120-130)"
    assert cells["nnlite-compiled/torch"] == "1.25x" and cells["nnlite-compiled/numpy"] == "1.14x"
    assert cells["roofline steps/s"] == "250" and cells["compiled %roof"] == "50 %"
    assert "- torch: torch 2.13.0 (2 threads, fused=True)" in lines
