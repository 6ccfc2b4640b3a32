"""A FrameworkProcessor's entry point: scale the input numbers with a helper module of the
same source_dir (the container unpacks sourcedir.tar.gz, then runs this)."""

import json
import os
import sys

from scaling import scale

INPUT = "/opt/ml/processing/input/data"
OUTPUT = "/opt/ml/processing/output"

with open(os.path.join(INPUT, "numbers.txt")) as f:
    numbers = [int(line) for line in f if line.strip()]
result = {"scaled": scale(numbers, 3), "python": "%d.%d" % sys.version_info[:2]}
with open(os.path.join(OUTPUT, "result.json"), "w") as f:
    json.dump(result, f)
