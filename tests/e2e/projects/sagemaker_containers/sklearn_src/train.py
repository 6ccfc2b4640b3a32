"""scikit-learn script-mode training: fit y = a*x + b on the `train` channel, save the
coefficients as model.json in SM_MODEL_DIR."""

import argparse
import json
import os
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression

parser = argparse.ArgumentParser()
parser.add_argument("--fit-intercept", type=int, default=1)
args = parser.parse_args()

rows = np.loadtxt(Path(os.environ["SM_CHANNEL_TRAIN"]) / "points.csv", delimiter=",")
model = LinearRegression(fit_intercept=bool(args.fit_intercept))
model.fit(rows[:, :1], rows[:, 1])
coefficients = {"coef": model.coef_.tolist()}  # sklearn train breakpoint
coefficients["intercept"] = float(model.intercept_)
Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps(coefficients))
print(f"trained: {coefficients}", flush=True)
