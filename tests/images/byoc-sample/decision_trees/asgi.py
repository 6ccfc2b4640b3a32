"""FastAPI app with the same contract as predictor.py (for uvicorn)."""

import json
import os

from fastapi import FastAPI, Request, Response

MODEL_PATH = "/opt/ml/model/model.json"
app = FastAPI()


@app.get("/ping")
async def ping():
    return Response(status_code=200 if os.path.exists(MODEL_PATH) else 404)


def load_offset():
    with open(MODEL_PATH) as f:
        return json.load(f)["offset"]


@app.post("/invocations")
async def invocations(request: Request):
    body = (await request.body()).decode()
    numbers = [float(v) for v in body.split(",") if v.strip()]
    offset = load_offset()  # byoc-sample fastapi breakpoint
    result = [n + offset for n in numbers]
    return Response(",".join(str(r) for r in result), media_type="text/csv")
