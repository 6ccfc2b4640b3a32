"""Benchmark entry point: a small CNN on synthetic data; prints its own timings.

BENCH lines: user_start (wall clock at the first line of user code, comparable with the
driver's clock: containers share the host's), loop (seconds spent in the training loop).
"""

import time

USER_START = time.time()

import argparse  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


def never_called():
    return "a breakpoint here is set but never hit"  # idle breakpoint


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 14 * 14, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    start = time.perf_counter()
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    loop = time.perf_counter() - start
    print(f"BENCH user_start={USER_START:.6f} loop={loop:.6f}", flush=True)


if __name__ == "__main__":
    main()
