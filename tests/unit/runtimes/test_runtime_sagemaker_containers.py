"""scikit-learn and XGBoost on sagemaker-containers 2.x: script-mode training, gunicorn serving."""

from seen import seen

SKLEARN = {
    "SAGEMAKER_TRAINING_MODULE": "sagemaker_sklearn_container.training:main",
    "SAGEMAKER_SERVING_MODULE": "sagemaker_sklearn_container.serving:main",
}
XGBOOST = {
    "SAGEMAKER_TRAINING_MODULE": "sagemaker_xgboost_container.training:main",
    "SAGEMAKER_SERVING_MODULE": "sagemaker_xgboost_container.serving:main",
}


def gunicorn(app: str) -> list[str]:
    """sagemaker_containers._server.start's gunicorn command line."""
    return [
        "/miniconda3/bin/python",
        "/miniconda3/bin/gunicorn",
        "--timeout",
        "3600",
        "-k",
        "gevent",
        "-b",
        "unix:/tmp/gunicorn.sock",
        "--worker-connections",
        "2000",
        "-w",
        "2",
        "--log-level",
        "info",
        app,
    ]


def test_scikit_learn_training_runs_the_script():
    line = ["/miniconda3/bin/python", "train.py", "--n-estimators", "10"]
    s = seen("training", line, cwd="/opt/ml/code", environ=SKLEARN)
    assert (s.debugged, s.who) == (True, "training algo-1 (scikit-learn)")


def test_xgboost_script_mode_runs_the_module_from_the_code_folder():
    line = ["/miniconda3/bin/python", "-m", "train", "--num_round", "10"]
    s = seen("training", line, environ=XGBOOST, module_path="/opt/ml/code/train.py")
    assert (s.debugged, s.who) == (True, "training algo-1 (XGBoost)")


def test_the_toolkit_and_its_pip_install_are_not():
    for line in (
        ["/miniconda3/bin/python", "/miniconda3/bin/train"],
        ["/miniconda3/bin/python", "-m", "pip", "install", "."],
    ):
        assert not seen(
            "training", line, environ=SKLEARN, module_path="/miniconda3/lib/pip/__main__.py"
        ).debugged


def test_serving_is_gunicorn_with_the_frameworks_app():
    s = seen("serving", gunicorn("sagemaker_sklearn_container.serving:main"), environ=SKLEARN)
    assert (s.debugged, s.deferred, s.who) == (True, False, "serving algo-1 (scikit-learn)")
    s = seen("serving", gunicorn("sagemaker_xgboost_container.serving:main"), environ=XGBOOST)
    assert s.who == "serving algo-1 (XGBoost)"


def test_the_image_names_the_stack_and_where_its_workers_import_the_code_from():
    from smdebug_local import runtimes

    for environ, label in ((SKLEARN, "scikit-learn"), (XGBOOST, "XGBoost")):
        found = runtimes.recognise("serving", environ)
        assert found is not None and found.label == label
        assert found.code_dirs[0] == "/opt/ml/code"
