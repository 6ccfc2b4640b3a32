"""scikit-learn serving functions: the model is the training job's model.json."""

import json
import os

import numpy as np
from sklearn.linear_model import LinearRegression


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        saved = json.load(f)
    model = LinearRegression()
    model.coef_ = np.array(saved["coef"])
    model.intercept_ = saved["intercept"]
    model.n_features_in_ = len(saved["coef"])
    return model


def predict_fn(input_data, model):
    features = np.asarray(input_data, dtype=float).reshape(-1, 1)
    if (features < 0).any():
        raise ValueError(f"negative input {features.ravel().tolist()}")  # sklearn crash
    prediction = model.predict(features)  # sklearn predict_fn breakpoint
    return prediction
