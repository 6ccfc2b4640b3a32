""" "Train" a model: the mean of the prepared numbers, saved as the model's only weight."""

import json
import os


def main():
    with open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "data.json")) as f:
        values = json.load(f)
    weight = sum(values) / len(values)  # train breakpoint
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as f:
        json.dump({"weight": weight}, f)


if __name__ == "__main__":
    main()
