#!/bin/bash
# One-shot checks for a lent device machine (16 dedicated cores, AVX-512, a CUDA GPU), run in
# the repository root there, e.g. through the device tool with timeout_s=560:
#
#     bash tools/device_check.sh
#
# What the 2-vCPU development hosts cannot show: classicsr's two-thread speed-ups on cores of
# its own (host_scaling, peer_resize), the AVX-512 kernels' tests (skipped on AVX2-only hosts)
# and the CUDA paths of classicsr.nn.  Uses the machine's own Python packages (no install);
# that image has no pyfftw, so the FFT backend is scipy.  Results go to $OUT (or /tmp/out).
# The thirty-fourth session's run (Emerald Rapids, H200) is in docs/benchmarks.md.
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 CLASSICSR_FFT_BACKEND=scipy
O=${OUT:-/tmp/out}
mkdir -p "$O"
{
    date; nproc; lscpu | grep -E "Model name|Socket|Thread|Core|L2|L3"
    grep -o -w -E "avx512[a-z_0-9]*|avx2|fma" /proc/cpuinfo | sort | uniq -c
    python3 -c "
import numba, numpy, torch, cv2, PIL, llvmlite.binding as ll
from classicsr._kernels import resample as R
print('numba', numba.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__,
      'cv2', cv2.__version__, 'PIL', PIL.__version__)
print('llvm host cpu', ll.get_host_cpu_name(), '_FD_OK', R._FD_OK, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$O/env.txt"
N=""
python3 -c "import xdist" 2>/dev/null && N="-n 12"
echo "== CUDA tests"
timeout 90 python3 -m pytest -q -p no:cacheprovider tests/test_nn.py -k "cuda or device" -rs 2>&1 \
    | tail -5 | tee "$O/cuda.txt"
echo "== peer_resize"
timeout 160 python3 benchmarks/peer_resize.py --threads 1 2 --no-slow --repeat 15 2>&1 \
    | tee "$O/peer.txt" | tail -32
echo "== host_scaling"
timeout 80 python3 benchmarks/host_scaling.py --part resize --rounds 3 2>&1 | tee "$O/hs.txt" | tail -12
echo "== resample tests (AVX-512 paths)"
NUMBA_NUM_THREADS=2 timeout 200 python3 -m pytest -q -p no:cacheprovider -p no:benchmark $N \
    tests/test_resample*.py tests/test_resize*.py tests/test_kernel*.py -rf 2>&1 \
    | tail -25 | tee "$O/resample.txt"
date
