"""Serving handlers, input_fn/predict_fn/output_fn style."""

import io
import os

import numpy as np
import torch

from train import build_model


def model_fn(model_dir):
    model = build_model()
    model.load_state_dict(torch.load(os.path.join(model_dir, "model.pth")))
    return model.eval()


def input_fn(request_body, content_type):
    return torch.from_numpy(np.load(io.BytesIO(request_body)))


def predict_fn(inputs, model):
    with torch.no_grad():
        return model(inputs).argmax(dim=1)  # predict_fn breakpoint


def output_fn(prediction, accept):
    buffer = io.BytesIO()
    np.save(buffer, prediction.numpy())
    return buffer.getvalue(), "application/x-npy"
