#!/bin/bash
# Queue 5, part D (after part C, PID $1): the time left before 01:41 UTC goes to ESPCN x3, a
# warm restart of the step-6000 checkpoint (all of T91, no validation, lr 5e-4 -> 1e-5, last-step
# weights), sized at 0.33 s a step plus 60 s of data preparation.
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
R=/work/nn_runs/r5
if [ -n "$1" ]; then while kill -0 "$1" 2>/dev/null; do sleep 5; done; fi
left=$(( $(date -d "01:41" +%s) - $(date +%s) - 60 ))
extra=$(( left * 3 ))
if [ $extra -ge 300 ]; then
  cp classicsr/nn/weights/training/espcn_x3_residual.ckpt $R/espcn_x3.ckpt
  echo "=== espcn x3 steps $(( 6000 + extra )) warm restart start $(date -Is)" >> $R/queue.log
  /usr/bin/time -v nice -n 5 python -m classicsr.nn.train espcn 3 $D/T91 $R/espcn_x3.ckpt --residual \
     --steps $(( 6000 + extra )) --schedule-start 6000 --batch-size 32 --patch-size 24 --lr 5e-4 \
     --lr-min 1e-5 --loss mse --seed 0 --threads 1 >> $R/espcn_x3.log 2>&1
  echo "=== espcn x3 end $(date -Is) rc $?" >> $R/queue.log
else
  echo "=== espcn x3 skipped: only $left s left $(date -Is)" >> $R/queue.log
fi
