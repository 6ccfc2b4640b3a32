"""Serving handlers, transform_fn style: one function decodes, predicts and encodes."""

import io
import os

import numpy as np
import torch

from train import build_model


def model_fn(model_dir):
    model = build_model()
    model.load_state_dict(torch.load(os.path.join(model_dir, "model.pth")))  # model_fn breakpoint
    return model.eval()


def transform_fn(model, request_body, content_type, accept):
    inputs = torch.from_numpy(np.load(io.BytesIO(request_body)))
    with torch.no_grad():
        classes = model(inputs).argmax(dim=1)  # transform_fn breakpoint
    buffer = io.BytesIO()
    np.save(buffer, classes.numpy())
    return buffer.getvalue(), "application/x-npy"
