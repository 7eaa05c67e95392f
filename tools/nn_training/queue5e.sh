#!/bin/bash
# Queue 5, part E: ESPCN x4 measured 29.39 dB on Set5 at step 2000, 0.03 dB short of the x4 bar;
# the 20 minutes left before 01:55 UTC go to a warm restart of it (2000 -> 6000 steps, lr 5e-4
# -> 1e-5, T91 minus T91_HOLDOUT, held-out validation every 1000 steps, last-step weights),
# like FSRCNN x3's run 9.  Set5 is measured once more at the end.
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
R=/work/nn_runs/r5
cp $R/espcn_x4.ckpt $R/espcn_x4_step2000.ckpt
echo "=== espcn x4 warm restart 2000 -> 6000 start $(date -Is)" >> $R/queue.log
/usr/bin/time -v nice -n 5 python -m classicsr.nn.train espcn 4 $D/T91 $R/espcn_x4.ckpt --residual \
   --steps 6000 --schedule-start 2000 --batch-size 32 --patch-size 24 --lr 5e-4 --lr-min 1e-5 \
   --loss mse --seed 0 --threads 1 --holdout t91 --val-every 1000 >> $R/espcn_x4.log 2>&1
echo "=== espcn x4 end $(date -Is) rc $?" >> $R/queue.log
