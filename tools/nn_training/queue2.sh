#!/bin/bash
# Queue, second part: wait for the running ESPCN x3 job (pid 12844), then the rest, one at a time.
source /work/venv/bin/activate
cd /work/main
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
D=/work/shared/data
while kill -0 12844 2>/dev/null; do sleep 10; done
echo "=== espcn x3 finished $(date -Is)" >> /work/nn_runs/queue.log
run() {  # model scale steps
  echo "=== $1 x$2 steps $3 start $(date -Is)" >> /work/nn_runs/queue.log
  /usr/bin/time -v nice -n 10 python -m classicsr.nn.train $1 $2 $D/T91 /work/nn_runs/$1_x$2.ckpt \
     --steps $3 --batch-size 32 --patch-size 24 --lr 1e-3 --lr-min 1e-5 --loss l1 --seed 0 \
     --val-dir $D/Set5/HR --val-every 500 --threads 1 >> /work/nn_runs/$1_x$2.log 2>&1
  echo "=== $1 x$2 end $(date -Is) rc $?" >> /work/nn_runs/queue.log
}
run espcn 2 5000
run fsrcnn 3 5000
run espcn 4 5000
run fsrcnn 2 5000
run fsrcnn 4 5000
