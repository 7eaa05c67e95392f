#!/bin/bash
# Queue 5, part B (after part A, the FSRCNN x3 continuation): new residual MSE runs from
# scratch with T91_HOLDOUT (t10, t20, ..., t60, tt5, tt15, tt25) left out of training and used for validation
# (every 500 steps, monitoring only: the last-step weights are shipped), then the ESPCN x3
# continuation (all of T91, no validation), sized to end by about 01:44 UTC (the results table runs after it).  Step counts are
# small because one niced thread gets about a third of a core here (0.6-0.85 s a step).
# Usage: queue5b.sh [PID to wait for]
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
R=/work/nn_runs/r5
if [ -n "$1" ]; then while kill -0 "$1" 2>/dev/null; do sleep 5; done; fi
run() {  # model scale steps [extra args]
  m=$1; s=$2; n=$3; shift 3
  echo "=== $m x$s steps $n $* start $(date -Is)" >> $R/queue.log
  /usr/bin/time -v nice -n 5 python -m classicsr.nn.train $m $s $D/T91 $R/${m}_x$s.ckpt --residual \
     --steps $n --batch-size 32 --patch-size 24 --lr 1e-3 --lr-min 1e-5 --loss mse --seed 0 \
     --threads 1 "$@" >> $R/${m}_x$s.log 2>&1
  echo "=== $m x$s end $(date -Is) rc $?" >> $R/queue.log
}
run fsrcnn 2 2500 --holdout t91 --val-every 500
run espcn 4 2000 --holdout t91 --val-every 500
run fsrcnn 4 2000 --holdout t91 --val-every 500
# ESPCN x3: extend the finished step-6000 checkpoint with a new cosine schedule (warm restart
# at lr 5e-4) with whatever time is left (0.7 s a step assumed, 90 s for data preparation);
# skipped when fewer than 300 steps fit.
cp classicsr/nn/weights/training/espcn_x3_residual.ckpt $R/espcn_x3.ckpt
left=$(( $(date -d "01:44" +%s) - $(date +%s) - 90 ))
extra=$(( left * 10 / 7 ))
if [ $extra -ge 300 ]; then
  run espcn 3 $(( 6000 + extra )) --schedule-start 6000 --lr 5e-4
else
  echo "=== espcn x3 skipped: only $left s left $(date -Is)" >> $R/queue.log
fi
