"""Borrowed arrays in the chunk kernels (``resample._borrowed``, ``_keep``).

``_fused_chunk_il``, ``_cols_chunk_il`` and the 8-bit output-order kernels
(``_fused_chunk_direct``, ``_cols_chunk_direct``, their checked twins and
``_fused_chunk_fixed_chk``) use their arrays without Numba's reference counts (a null
``meminfo``), and keep the scratch they allocate alive with ``_keep`` until the end.
These tests check the borrowed array itself against the counted one, and, in a process with
Numba's allocation statistics on, that every allocation of many resizes through both kernels
is freed exactly once while the results match the independent reference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from classicsr._kernels import resample as R


@njit
def _sums(a, use):
    b = R._borrowed(a) if use else a
    t = 0.0
    for i in range(b.shape[0]):
        row = b[i]  # a view of a borrowed array is borrowed too
        for j in range(row.shape[0]):
            t += row[j] * (i + 1)
    return t, b.shape[0], b.shape[1], b.strides[0]


@njit
def _none(a):
    return R._borrowed(a) is None


@pytest.mark.skipif(not R._JIT, reason="the intrinsic exists in compiled code only")
def test_a_borrowed_array_reads_as_the_array():
    a = np.arange(35, dtype=np.float64).reshape(5, 7)[:, 1:6]  # a strided view
    assert _sums(a, True) == _sums(a, False)
    assert _none(None)


def test_borrowed_is_the_identity_without_the_jit():
    code = ("import numpy as np; from classicsr._kernels import resample as R; "
            "a = np.ones(3); print(R._borrowed(a) is a, R._keep((a, a)))")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "2"]


_STATS = r"""
import json, sys
import numpy as np
from numba.core.runtime import rtsys
sys.path.insert(0, {tests!r})
import classicsr
from classicsr._kernels import resample as R
from naive_resize import reference_resize
R._RECIPES_ON = False  # every call runs the kernels
names = set()
run = R._run_chunks
def spy(kernel, nchunks, args):
    names.add(kernel.__name__)
    return run(kernel, nchunks, args)
R._run_chunks = spy
cases = [((40, 36, 3), 2, "float32"), ((20, 30, 3), (1, 2), "float32"),
         ((40, 36, 3), 2, "uint8"), ((20, 30, 3), (1, 2), "uint8"), ((40, 36, 3), 1.5, "uint8"),
         ((40, 36, 3), 2.2, "uint8"), ((20, 30, 3), (1, 2.2), "uint8"),
         ((40, 36, 3), 1.37, "uint8"),
         # fixed point, pmaddwd, lanes and rows-only kernels (thirty-fourth session)
         ((40, 36, 3), 2, "uint16"), ((20, 30, 3), (1, 2), "uint16"),
         ((40, 36, 3), (2, 0.5), "uint8"), ((40, 36, 3), (0.5, 1), "uint8"),
         ((40, 36, 3), 0.5, "uint8"), ((40, 36, 3), (0.5, 2), "uint8"),
         ((40, 36, 3), 1.37, "float32"), ((20, 30, 3), (1, 1.37), "float32"),
         ((40, 36, 3), (1.37, 1), "uint8"), ((40, 36, 3), (1.37, 1), "float32"),
         # pixel moves, plain and streamed (thirty-fifth session)
         ((40, 36, 3), (2, 0.5), "uint8", "nearest"), ((40, 36, 3), 3, "float32", "nearest"),
         ((40, 36, 3), 3, "float32", "nearest", 0),
         # split-weight rows (thirty-sixth session); the kernels they replace, switched off
         ((40, 36, 3), 1.1, "uint8"), ((40, 36, 3), (1.1, 1), "uint8"),
         ((40, 36, 3), 1.5, "uint8", "lanczos2"),
         ((40, 36, 3), 1.5, "uint8", "bicubic", None, "_SPLIT_ROWS"),
         ((40, 36, 3), 1.37, "uint8", "bicubic", None, "_SPLIT_ROWS"),
         ((40, 36, 3), (1.37, 1), "uint8", "bicubic", None, "_SPLIT_ROWS")]
stream_min = R._STREAM_MIN_BYTES
bad = []
for threads in (1, 2):
    classicsr.set_num_threads(threads)
    for case in cases:
        shape, scale, dtype = case[:3]
        method = case[3] if len(case) > 3 else "bicubic"
        R._STREAM_MIN_BYTES = case[4] if len(case) > 4 and case[4] is not None else stream_min
        R._SPLIT_ROWS = not (len(case) > 5 and case[5] == "_SPLIT_ROWS")
        img = np.random.default_rng(sum(shape)).random(shape)
        if dtype in ("uint8", "uint16"):
            img = (img * np.iinfo(dtype).max).round().astype(dtype)
        else:
            img = img.astype(dtype)
        classicsr.resize(img, scale, method=method)  # compiled (or loaded) before counting
        before = rtsys.get_allocation_stats()
        for _ in range(3):
            got = classicsr.resize(img, scale, method=method)
        after = rtsys.get_allocation_stats()
        if dtype != "float32":  # integers: MATLAB's values, exactly
            ok = np.array_equal(got, reference_resize(img, scale, method=method))
        else:
            ok = np.allclose(got, reference_resize(img.astype(np.float64), scale,
                                                   method=method), rtol=1e-5, atol=1e-5)
        if not ok:
            bad.append([shape, scale, dtype, "values"])
        if after.alloc - before.alloc != after.free - before.free or after.alloc == before.alloc:
            bad.append([shape, scale, dtype, after.alloc - before.alloc,
                        after.free - before.free])
        if after.mi_alloc - before.mi_alloc != after.mi_free - before.mi_free:
            bad.append([shape, scale, dtype, "meminfo"])
print(json.dumps({{"bad": bad, "names": sorted(names)}}))
"""


@pytest.mark.skipif(not R._JIT, reason="compiled kernels only")
def test_every_allocation_is_freed_once():
    """Many resizes through the borrowing kernels (one and two threads; fused, columns only
    and rows only; float32, uint8 and uint16; exact and checked 8-bit tables, fixed point,
    pmaddwd and lanes; nearest's pixel moves, plain and streamed; split-weight rows and, with
    them off, the tie-checked ones): each allocation freed
    exactly once (a borrowed array released by Numba, or an owner counted twice, would show
    here; an owner released too early, without its ``_keep``, only through wrong values) and
    the values right."""
    tests = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, NUMBA_NRT_STATS="1")
    proc = subprocess.run([sys.executable, "-c", _STATS.format(tests=tests)], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not got["bad"], got["bad"]
    assert {"_fused_chunk_il", "_cols_chunk_il", "_fused_chunk_direct", "_cols_chunk_direct",
            "_fused_chunk_direct_chk", "_cols_chunk_direct_chk",
            "_fused_chunk_fixed_chk", "_rows_chunk_fixed", "_cols_chunk_fixed",
            "_fused_chunk_fixed", "_rows_chunk_madd", "_cols_chunk_madd", "_fused_chunk_madd",
            "_fused_chunk_il_madd", "_cols_chunk_lanes", "_fused_chunk_lanes", "_rows_chunk",
            "_rows_chunk4", "_select_px_chunk", "_rows_chunk_split",
            "_fused_chunk_split"} <= set(got["names"]), got["names"]
