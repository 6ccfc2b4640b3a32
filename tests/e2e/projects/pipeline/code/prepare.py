"""Prepare the training data: the numbers of the input channel, doubled (plain Python)."""

import json
import os

INPUT = "/opt/ml/processing/input/data"
OUTPUT = "/opt/ml/processing/output/train"


def main():
    with open(os.path.join(INPUT, "numbers.txt")) as f:
        numbers = [int(line) for line in f if line.strip()]
    factor = 2  # prepare breakpoint
    doubled = [n * factor for n in numbers]
    os.makedirs(OUTPUT, exist_ok=True)
    with open(os.path.join(OUTPUT, "data.json"), "w") as f:
        json.dump(doubled, f)


if __name__ == "__main__":
    main()
