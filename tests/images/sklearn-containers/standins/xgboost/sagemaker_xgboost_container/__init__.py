"""Test-only stand-in for ``sagemaker_xgboost_container`` (aws/sagemaker-xgboost-container),
which is not on PyPI.

It reproduces the container's *script-mode training*, which runs on ``sagemaker-containers``
alone: ``training:main`` runs ``modules.run_module`` -- writes ``setup.py``, ``setup.cfg`` and
``MANIFEST.in`` into ``/opt/ml/code`` if it has no ``setup.py``, runs ``python -m pip install
.`` there, then ``python -m <module> <hyperparameters>``. Serving, algorithm mode (no entry
point: the container's own XGBoost training and scoring) and multi-model serving are not
reproduced: no test runs them.
"""
