"""Every rank adds its rank to a tensor; an all-reduce sums them; rank 0 saves the sum.

With the hyperparameter ``hang``, rank 1 never joins the all-reduce: it waits for a file
``go`` in its input channel, then crashes (the others wait in the collective meanwhile).
"""

import json
import os
import time

import torch
import torch.distributed as dist

if "OMPI_COMM_WORLD_RANK" in os.environ:  # mpirun's rank: torch's env:// reads torchrun's names
    os.environ.setdefault("RANK", os.environ["OMPI_COMM_WORLD_RANK"])
    os.environ.setdefault("WORLD_SIZE", os.environ["OMPI_COMM_WORLD_SIZE"])
    os.environ.setdefault("MASTER_ADDR", json.loads(os.environ["SM_HOSTS"])[0])
    os.environ.setdefault("MASTER_PORT", "7777")
dist.init_process_group("gloo")
rank = dist.get_rank()
world = dist.get_world_size()
value = torch.tensor([float(rank)])
if os.environ.get("SM_HP_HANG") and rank == 1:
    go = os.path.join(os.environ["SM_CHANNEL_TRAINING"], "go")
    while not os.path.exists(go):
        time.sleep(0.2)  # rank 1 stays out
    raise RuntimeError(f"rank {rank} gave up before the all-reduce")  # rank crash
dist.all_reduce(value)  # the all-reduce
total = value.item()  # ranks breakpoint
print(f"rank {rank}/{world}: sum of ranks {total}", flush=True)
if rank == 0:
    with open(os.path.join(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"), "sum.txt"), "w") as f:
        f.write(str(total))
dist.barrier()
dist.destroy_process_group()
