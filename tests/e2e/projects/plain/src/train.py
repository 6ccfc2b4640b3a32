"""Sum the numbers of the training channel -- plain Python, any interpreter version."""

import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    with open(os.path.join(os.environ["SM_CHANNEL_TRAINING"], "numbers.txt")) as f:
        numbers = [int(line) for line in f if line.strip()]
    total = sum(numbers) * args.scale  # sum breakpoint
    version = "%d.%d" % sys.version_info[:2]
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "result.json"), "w") as f:
        json.dump(
            {
                "total": total,
                "python": version,
                "argv": sys.argv,
                "name": __name__,
                "channel_files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"])),
                "sm": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
            },
            f,
        )


if __name__ == "__main__":
    main()
