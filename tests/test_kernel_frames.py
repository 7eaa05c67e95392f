"""Realigned stack frames (:func:`classicsr._kernels._frame.align_stack`).

LLVM gives a Numba function's 32-byte vector spill slots only the ABI's 16-byte stack
alignment (unaligned ``vmovups`` at ``rsp + c``), so a kernel's speed depended on where the
calling thread's stack happened to be: 512x512x3 float32 x4 took 23-27 ms instead of 5-8 on
some stack depths, among them a fresh thread's (the pool's worker and a second caller).
Speed is not asserted here (see ``benchmarks/host_scaling.py --part stack``); these tests
check that the intrinsic really makes LLVM realign the frame (llvmlite drops ``alignstack``
from a function whose attribute set is otherwise empty), also in a parallel loop's body (its
own function), and that every looping kernel calls it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numba
import numpy as np
import pytest

from classicsr._kernels import _frame as F

KERNELS = sorted(p for p in Path(F.__file__).parent.glob("*.py")
                 if p.stem not in ("__init__", "_frame"))
#: helpers called per pixel inside their callers' loops: a realigned frame on every call
#: costs more than it saves (warp._taps: the adjoint scatter 1.14x slower with it)
PER_PIXEL = {"warp._taps"}
nojit = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs the JIT")


def _kernel(aligned):
    """A small vector loop with or without the intrinsic, compiled fresh (never from the
    on-disk cache, so it can be inspected)."""
    align = F.align_stack

    def body(out, a, w):
        if aligned:
            align()
        for t in range(out.shape[0] - 16):
            s = 0.0
            for k in range(16):
                s += w[k] * a[t + k]
            out[t] = s

    return numba.njit(cache=False)(body)


@nojit
def test_align_stack_realigns_the_frame():
    out, a, w = np.zeros(200), np.arange(216.0), np.linspace(0, 1, 16)
    f, g = _kernel(True), _kernel(False)
    f(out, a, w)
    ref = np.zeros(200)
    g(ref, a, w)
    np.testing.assert_array_equal(out, ref)
    ir_text = f.inspect_llvm(f.signatures[0])
    asm_f = f.inspect_asm(f.signatures[0])
    asm_g = g.inspect_asm(g.signatures[0])
    assert re.search(rf"alignstack[=(]{F.STACK_ALIGN}\b", ir_text)
    realign = f"andq\t$-{F.STACK_ALIGN}, %rsp"
    assert realign in asm_f
    assert realign not in asm_g


@nojit
def test_align_stack_keeps_a_larger_alignment():
    """Two calls in one function (as where an inlined callee also calls it) still give one
    realigned frame."""

    def twice(x):
        F.align_stack()
        F.align_stack()
        return x + 1

    f = numba.njit(cache=False)(twice)
    assert f(1) == 2
    assert f"andq\t$-{F.STACK_ALIGN}, %rsp" in f.inspect_asm(f.signatures[0])


def _jit_functions(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                (isinstance(d, ast.Name) and d.id == "jit")
                or (isinstance(d, ast.Call) and getattr(d.func, "id", None) == "jit")
                for d in node.decorator_list):
            yield node


def _inlined(node):
    return any(isinstance(d, ast.Call) and any(
        k.arg == "inline" and isinstance(k.value, ast.Constant) and k.value.value == "always"
        for k in d.keywords) for d in node.decorator_list)


def _calls_align_first(body, name):
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    first = body[0] if body else None
    return (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
            and isinstance(first.value.func, ast.Name) and first.value.func.id == name)


def test_every_looping_kernel_aligns_its_stack():
    """Each ``@jit`` function of :mod:`classicsr._kernels` with a loop calls the intrinsic
    first (after its docstring), and each ``prange`` body (compiled as a function of its own)
    calls it first too, so a new kernel cannot silently depend on its caller's stack."""
    looping, missing = [], []
    for path in KERNELS:
        tree = ast.parse(path.read_text())
        # resample.py imports it as _align_stack, the others as align_stack
        name = "_align_stack" if path.stem == "resample" else "align_stack"
        for node in _jit_functions(tree):
            if not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(node)):
                continue
            if _inlined(node):  # Numba inlines it into its callers: no frame of its own
                continue
            if f"{path.stem}.{node.name}" in PER_PIXEL:
                continue
            looping.append(f"{path.stem}.{node.name}")
            if not _calls_align_first(node.body, name):
                missing.append(f"{path.stem}.{node.name}")
            for loop in ast.walk(node):
                if (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call)
                        and getattr(loop.iter.func, "id", None) == "prange"
                        and not _calls_align_first(loop.body, name)):
                    missing.append(f"{path.stem}.{node.name} (prange body)")
    assert len(looping) > 80  # the walk found the kernels of every module
    assert missing == []


def _gufunc_asm(dispatcher):
    """Assembly of the parallel loop bodies of ``dispatcher``'s one compiled signature (each
    a library of its own, linked into the outer function's)."""
    lib = dispatcher.overloads[dispatcher.signatures[0]].library
    bodies = [lib2 for lib2 in lib._linking_libraries if "parfor_gufunc" in lib2.name]
    assert bodies
    return "".join(lib2.get_asm_str() for lib2 in bodies)


@nojit
def test_parallel_body_realigns_its_frame():
    """The body of a ``prange`` loop is compiled as a function of its own (run on the
    threading layer's threads); the call inside it realigns that function's frame, and only
    that call does (the outer function's does not reach it)."""
    import numba as nb

    def inside(out, a):
        for i in nb.prange(out.shape[0]):
            F.align_stack()
            out[i] = a[i] * 2.0

    def outside(out, a):
        F.align_stack()
        for i in nb.prange(out.shape[0]):
            out[i] = a[i] * 2.0

    realign = f"andq\t$-{F.STACK_ALIGN}, %rsp"
    for fn, expect in ((inside, True), (outside, False)):
        f = nb.njit(cache=False, parallel=True)(fn)
        out = np.zeros(64)
        f(out, np.arange(64.0))
        np.testing.assert_array_equal(out, np.arange(64.0) * 2)
        assert (realign in _gufunc_asm(f)) == expect, fn.__name__


def test_align_stack_without_the_jit_is_a_no_op(monkeypatch):
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    assert F._make_align_stack()() is None
