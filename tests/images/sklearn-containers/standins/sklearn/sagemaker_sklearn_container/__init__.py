"""Test-only stand-in for ``sagemaker_sklearn_container`` (aws/sagemaker-scikit-learn-container),
which is not on PyPI.

It reproduces what the real package makes the container run, nothing more: training
(``training:main``, named by ``SAGEMAKER_TRAINING_MODULE``) runs the user's script through the
SageMaker training toolkit as ``python <script>.py <hyperparameters>``, cwd ``/opt/ml/code``;
serving (``serving:main``, named by ``SAGEMAKER_SERVING_MODULE``) is the WSGI app that
``sagemaker-containers``' ``serve`` runs under ``gunicorn -k gevent``: it imports the user's
module in the worker on its first request and answers with model_fn/input_fn/predict_fn/
output_fn. Multi-model (MMS) serving is not reproduced.
"""
