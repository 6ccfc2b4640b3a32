"""Every rank adds its rank to a tensor; an all-reduce sums them; rank 0 saves the sum."""

import os

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
world = dist.get_world_size()
value = torch.tensor([float(rank)])
dist.all_reduce(value)
total = value.item()  # ranks breakpoint
print(f"rank {rank}/{world}: sum of ranks {total}", flush=True)
if rank == 0:
    with open(os.path.join(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"), "sum.txt"), "w") as f:
        f.write(str(total))
dist.barrier()
dist.destroy_process_group()
