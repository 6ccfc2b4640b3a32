"""Two epochs over a DataLoader with one worker process; epoch 2 crashes: in the training
loop (--crash main) or in the DataLoader worker (--crash worker)."""

import argparse

import torch
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser()
parser.add_argument("--crash", choices=["main", "worker"], required=True)
args = parser.parse_args()


class Numbers(Dataset):
    epoch = 1  # set before each epoch; its worker is forked afresh each epoch

    def __len__(self):
        return 8

    def __getitem__(self, index):
        if args.crash == "worker" and self.epoch == 2 and index == 5:
            raise ValueError(f"bad item {index}")  # worker crash
        return torch.tensor([float(index)])


def check(batch, epoch):
    total = float(batch.sum())
    if args.crash == "main" and epoch == 2:
        raise ValueError(f"bad shape {tuple(batch.shape)}")  # main crash
    return total


dataset = Numbers()
for epoch in (1, 2):
    dataset.epoch = epoch
    for batch in DataLoader(dataset, batch_size=4, num_workers=1):
        check(batch, epoch)
    print(f"epoch {epoch} done", flush=True)
