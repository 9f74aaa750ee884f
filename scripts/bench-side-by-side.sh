#!/usr/bin/env bash
# Side-by-side benchmarks (not tests): align4j against numpy/OpenBLAS (GEMM) and PyTorch CPU (GPT-2 124M steps and
# decoding) in one run on this machine, at the native vector width and held to AVX2 (-XX:UseAVX=2, OpenBLAS's Haswell
# kernels). Needs Debian's python3-numpy, python3-torch, libopenblas0-pthread and python3-threadpoolctl, and
# ../shared/bench/torch_gpt2_cpu.py. Run on a quiet machine; prints one line per measurement.
# Usage: scripts/bench-side-by-side.sh [gemm|steps|decode ...]   (default: all three)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
torch_bench="$root/../shared/bench/torch_gpt2_cpu.py"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(gemm steps decode)
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine for old OpenBLAS builds; each run sets its own
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
py=/usr/bin/python3
numpy_gemm() { # threads coretype
  env OPENBLAS_NUM_THREADS=$1 ${2:+OPENBLAS_CORETYPE=$2} "$py" - <<'PY'
import time, numpy as np
from threadpoolctl import threadpool_info
n = 1024
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32); b = rng.standard_normal((n, n), dtype=np.float32)
core = ",".join(str(i.get("architecture")) for i in threadpool_info() if i.get("internal_api") == "openblas")
for name, f in [("nn", lambda: a @ b), ("nt", lambda: a @ b.T), ("tn", lambda: a.T @ b)]:
    for _ in range(3): f()
    ts = []
    for _ in range(20):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    print(f"numpy {name}: {2*n**3/np.mean(ts)/1e9:.1f} GFLOP/s mean, {2*n**3/min(ts)/1e9:.1f} best (OpenBLAS {core})")
PY
}
for width in native avx2; do
  opts=""; core=""
  if [ "$width" = avx2 ]; then opts="-XX:UseAVX=2"; core=Haswell; fi
  for part in "${parts[@]}"; do
    case "$part" in
      gemm)
        for t in 1 2; do
          echo "== GEMM 1024^3, $t thread(s), $width"
          for layout in nn nt tn; do
            echo "align4j $layout: $(ALIGN4J_THREADS=$t ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench gemm \
              --layout $layout --iters 40 --scalar-iters 0 2>/dev/null | grep vector)"
          done
          numpy_gemm $t $core
        done ;;
      steps)
        echo "== GPT-2 124M steps, 2 x 128, 2 threads, $width"
        ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench train-step --batch 2 --seq 128 2>/dev/null | tail -1
        env OPENBLAS_NUM_THREADS=2 ${core:+OPENBLAS_CORETYPE=$core} "$py" "$torch_bench" train 2 2 128 3
        ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench dpo-step --pairs 2 --seq 128 2>/dev/null | tail -1
        env OPENBLAS_NUM_THREADS=2 ${core:+OPENBLAS_CORETYPE=$core} "$py" "$torch_bench" dpo 2 2 128 3
        ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench train-step --batch 2 --seq 128 --optim forward 2>/dev/null | tail -1
        env OPENBLAS_NUM_THREADS=2 ${core:+OPENBLAS_CORETYPE=$core} "$py" "$torch_bench" forward 2 2 128 3 ;;
      decode)
        for b in 1 8; do
          echo "== GPT-2 124M greedy decode, batch $b, 64 new tokens, 2 threads, $width"
          ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench generate --batch $b --new-tokens 64 2>/dev/null | tail -1
          echo "bfloat16 weights: $(ALIGN4J_JAVA_OPTS="$opts" "$root/align4j" bench generate --batch $b --new-tokens 64 \
            --torch-dtype bfloat16 2>/dev/null | tail -1)"
          env OPENBLAS_NUM_THREADS=2 ${core:+OPENBLAS_CORETYPE=$core} "$py" "$torch_bench" generate 2 $b 64 3
        done ;;
      *) echo "unknown part '$part' (gemm, steps, decode)" >&2; exit 2 ;;
    esac
  done
done
