"""A small CNN trained on the synthetic data set -- a typical SageMaker entry point."""

import argparse
import os

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from helpers import accuracy


class ArrayDataset(Dataset):
    """Pairs of (image, label); with --workers > 0 items are read in worker processes."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int):
        return self.x[index], self.y[index]  # worker breakpoint


def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, 4)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = os.environ.get("SM_CHANNEL_TRAINING", "data")
    x = torch.from_numpy(np.load(os.path.join(data_dir, "x.npy")))
    y = torch.from_numpy(np.load(os.path.join(data_dir, "y.npy")))
    loader = DataLoader(ArrayDataset(x, y), batch_size=32, shuffle=True, num_workers=args.workers)
    model = build_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        for batch, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            logits = model(inputs)
            loss = loss_fn(logits, labels)  # loop breakpoint
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f} accuracy {accuracy(logits, labels):.2f}")

    model_dir = os.environ.get("SM_MODEL_DIR", "model")
    torch.save(model.state_dict(), os.path.join(model_dir, "model.pth"))


if __name__ == "__main__":
    main()
