"""Stack frames of the kernels: :func:`align_stack`.

LLVM gives a function's 32-byte vector spill slots only the 16-byte stack alignment the ABI
guarantees (unaligned ``vmovups`` at ``rsp + c``), realigning a frame only when it knows
before register allocation that it must.  A spill slot whose address is 48 mod 64 then
straddles two cache lines, and which slots do depends on where the caller's stack lies, so a
kernel's speed depended on the calling thread's stack: 512x512x3 float32 x4 resizes took
22-27 ms instead of 5-8 at some stack depths, among them a fresh thread's (the pool thread of
a two-thread call: 0.9-1.2x over one thread; two one-thread calls at once 0.5-0.6x), uint8 x2
upscales were 11-21% slower at every depth, and the 2-D blur of :class:`classicsr.operators.Blur`
5-8% slower.  Every looping ``@jit`` function of :mod:`classicsr._kernels` calls
:func:`align_stack` first, and so does every ``prange`` body (Numba compiles it as a function
of its own), a test walks the sources; the cost is a frame pointer and an ``and`` per call,
too much for a helper called per pixel (``warp._taps``, which its callers' frames cover).
``benchmarks/host_scaling.py --part stack`` times resizes at several stack depths.
"""

from __future__ import annotations

import numba

#: The frame alignment :func:`align_stack` asks for: a cache line, so a frame's spill slots
#: always lie on the same lines whatever the caller.
STACK_ALIGN = 64


def _make_align_stack():
    """:func:`align_stack` (nothing without the JIT)."""
    if numba.config.DISABLE_JIT:
        return lambda: None
    from numba.core import types as nt
    from numba.extending import intrinsic

    @intrinsic
    def align_stack(typingctx):
        def codegen(context, builder, signature, args):
            attrs = builder.function.attributes
            attrs.alignstack = max(attrs.alignstack, STACK_ALIGN)
            # llvmlite writes a function's attributes only when its set is not empty, and
            # ``alignstack`` is kept beside the set: add one that holds for every kernel
            # (Numba reports errors by return code, never by unwinding)
            attrs.add("nounwind")
            return context.get_dummy_value()

        return nt.void(), codegen

    return align_stack


#: ``align_stack()``: the calling function realigns its stack frame to :data:`STACK_ALIGN`
#: bytes on entry (LLVM's ``alignstack`` attribute), so its vector spill slots are aligned
#: whatever its caller's stack (see the module docstring).
align_stack = _make_align_stack()
