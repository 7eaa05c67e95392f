"""Realigned stack frames (:func:`classicsr._kernels.resample._align_stack`).

LLVM gives a Numba function's 32-byte vector spill slots only the ABI's 16-byte stack
alignment (unaligned ``vmovups`` at ``rsp + c``), so a kernel's speed depended on where the
calling thread's stack happened to be: 512x512x3 float32 x4 took 23-27 ms instead of 5-8 on
some stack depths, among them a fresh thread's (the pool's worker and a second caller).
Speed is not asserted here (see ``benchmarks/host_scaling.py --part stack``); these tests
check that the intrinsic really makes LLVM realign the frame (llvmlite drops ``alignstack``
from a function whose attribute set is otherwise empty) and that every looping kernel of the
resampler calls it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numba
import numpy as np
import pytest

from classicsr._kernels import resample as R

SOURCE = Path(R.__file__)
nojit = pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs the JIT")


def _kernel(aligned):
    """A vector loop with more live values than registers (spills), with or without the
    intrinsic, compiled fresh (never from the on-disk cache, so it can be inspected)."""
    align = R._align_stack

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
    assert re.search(rf"alignstack[=(]{R._STACK_ALIGN}\b", ir_text)
    realign = f"andq\t$-{R._STACK_ALIGN}, %rsp"
    assert realign in asm_f
    assert realign not in asm_g


@nojit
def test_align_stack_keeps_a_larger_alignment():
    """Two calls (or an inlined callee that also calls it) never lower the alignment."""

    def twice(x):
        R._align_stack()
        R._align_stack()
        return x + 1

    f = numba.njit(cache=False)(twice)
    assert f(1) == 2
    assert f"andq\t$-{R._STACK_ALIGN}, %rsp" in f.inspect_asm(f.signatures[0])


def _jit_functions(tree):
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "jit" for d in node.decorator_list):
            yield node


def test_every_looping_kernel_aligns_its_stack():
    """Each ``@jit`` function of the resampler with a loop calls ``_align_stack()`` first
    (after its docstring), so a new kernel cannot silently depend on its caller's stack."""
    tree = ast.parse(SOURCE.read_text())
    looping, missing = [], []
    for node in _jit_functions(tree):
        if not any(isinstance(n, (ast.For, ast.While)) for n in ast.walk(node)):
            continue
        looping.append(node.name)
        body = node.body
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:]
        first = body[0] if body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
                and isinstance(first.value.func, ast.Name)
                and first.value.func.id == "_align_stack"):
            missing.append(node.name)
    assert len(looping) > 50  # the walk found the kernels
    assert missing == []


def test_align_stack_without_the_jit_is_a_no_op(monkeypatch):
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    assert R._make_align_stack()() is None
