"""Plain-Python training on whatever Python the image has: the entry point, a helper module
of the same folder, and a child process (the multiprocessing default: fork up to Python
3.13, forkserver from 3.14) -- the three places debugpy must follow on each Python."""

import json
import multiprocessing
import os
import sys

from helpers import scale


def square_all(numbers, results):
    squares = [n * n for n in numbers]
    results.put(sum(squares))  # child breakpoint


if __name__ == "__main__":
    with open(os.path.join(os.environ["SM_CHANNEL_TRAINING"], "numbers.txt")) as f:
        numbers = [int(line) for line in f if line.strip()]
    scaled = scale(numbers, 2)
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=square_all, args=(scaled, results))
    child.start()
    total = results.get()
    child.join()
    summary = {"total": total, "python": "%d.%d" % sys.version_info[:2]}  # entry breakpoint
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "result.json"), "w") as f:
        json.dump(
            {
                **summary,
                "argv": sys.argv,
                "name": __name__,
                "method": multiprocessing.get_start_method(),
            },
            f,
        )
