"""Scale the numbers of the input channel -- plain Python, any interpreter version."""

import json
import os
import sys

INPUT = "/opt/ml/processing/input/data"
OUTPUT = "/opt/ml/processing/output"


def main():
    with open(os.path.join(INPUT, "numbers.txt")) as f:
        numbers = [int(line) for line in f if line.strip()]
    factor = 2  # scale breakpoint (not on the comprehension: its own code object stops too)
    scaled = [n * factor for n in numbers]
    with open(os.path.join(OUTPUT, "result.json"), "w") as f:
        json.dump({"scaled": scaled, "argv": sys.argv, "name": __name__}, f)


if __name__ == "__main__":
    main()
