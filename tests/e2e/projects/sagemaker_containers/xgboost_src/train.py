"""XGBoost script-mode training (the container runs it as `python -m train`): boost a few
rounds on the `train` channel, save the booster as xgboost-model in SM_MODEL_DIR."""

import argparse
import os
from pathlib import Path

import numpy as np
import xgboost as xgb

parser = argparse.ArgumentParser()
parser.add_argument("--num_round", type=int, default=2)
args = parser.parse_args()

rows = np.loadtxt(Path(os.environ["SM_CHANNEL_TRAIN"]) / "points.csv", delimiter=",")
train = xgb.DMatrix(rows[:, :1], label=rows[:, 1])
booster = xgb.train({"max_depth": 2, "eta": 0.5}, train, num_boost_round=args.num_round)
rounds = booster.num_boosted_rounds()  # xgboost train breakpoint
booster.save_model(str(Path(os.environ["SM_MODEL_DIR"]) / "xgboost-model"))
print(f"boosted {rounds} rounds", flush=True)
