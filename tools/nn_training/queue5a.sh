#!/bin/bash
# Queue 5, part A: continue the FSRCNN x3 residual checkpoint (step 6000, trained on all of T91)
# to 8500 steps.  Resuming with --steps 8500 puts the cosine schedule at step 6000 of 8500:
# the lr restarts at 2.1e-4 and decays to 1e-5.  No validation (the checkpoint has seen all of
# T91, and Set5 is the test set): the last-step weights are measured once at the end.
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
R=/work/nn_runs/r5
echo "=== fsrcnn x3 continue to 8500 start $(date -Is)" >> $R/queue.log
/usr/bin/time -v nice -n 5 python -m classicsr.nn.train fsrcnn 3 $D/T91 $R/fsrcnn_x3.ckpt --residual \
   --steps 8500 --batch-size 32 --patch-size 24 --lr 1e-3 --lr-min 1e-5 --loss mse --seed 0 \
   --threads 1 >> $R/fsrcnn_x3.log 2>&1
echo "=== fsrcnn x3 end $(date -Is) rc $?" >> $R/queue.log
