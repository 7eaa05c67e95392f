#!/bin/bash
# Queue, fourth part: residual ESPCN/FSRCNN with the MSE loss (L1 converged too slowly here),
# one at a time, 1 thread, niced.  ESPCN x3 resumes the L1 checkpoint (3000 L1 steps) with MSE.
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
R=/work/nn_runs/residual
run() {  # model scale steps
  echo "=== residual mse $1 x$2 steps $3 start $(date -Is)" >> /work/nn_runs/queue.log
  /usr/bin/time -v nice -n 10 python -m classicsr.nn.train $1 $2 $D/T91 $R/$1_x$2.ckpt --residual \
     --steps $3 --batch-size 32 --patch-size 24 --lr 1e-3 --lr-min 1e-5 --loss mse --seed 0 \
     --val-dir $D/Set5/HR --val-every 500 --threads 1 >> $R/$1_x$2.log 2>&1
  echo "=== residual mse $1 x$2 end $(date -Is) rc $?" >> /work/nn_runs/queue.log
}
run espcn 3 6000
run espcn 2 4000
run fsrcnn 3 6000
run espcn 4 4000
run fsrcnn 2 6000
run fsrcnn 4 6000
