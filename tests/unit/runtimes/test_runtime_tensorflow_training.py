"""TensorFlow training: script mode, parameter servers and multi-worker mirrored strategy."""

import json

from seen import seen

TF = {"SAGEMAKER_TRAINING_MODULE": "sagemaker_tensorflow_container.training:main"}
SCRIPT = ["/usr/local/bin/python3.11", "train.py", "--model_dir", "/opt/ml/model"]


def tf_config(kind: str, index: int) -> dict[str, str]:
    """TF_CONFIG as the toolkit's _build_tf_config_for_ps writes it for 2 hosts."""
    cluster = {
        "master": ["algo-1:2222"],
        "ps": ["algo-1:2223", "algo-2:2223"],
        "worker": ["algo-2:2222"],
    }
    task = {"type": kind, "index": index}
    return {
        **TF,
        "TF_CONFIG": json.dumps({"cluster": cluster, "environment": "cloud", "task": task}),
    }


def test_script_mode_is_named_tensorflow():
    s = seen("training", SCRIPT, cwd="/opt/ml/code", environ=TF)
    assert (s.debugged, s.who) == (True, "training algo-1 (TensorFlow)")


def test_each_process_of_a_distributed_job_is_named_by_its_task():
    assert seen("training", SCRIPT, cwd="/opt/ml/code", environ=tf_config("master", 0)).who == (
        "training algo-1 master (TensorFlow)"
    )
    assert seen("training", SCRIPT, cwd="/opt/ml/code", environ=tf_config("worker", 0)).who == (
        "training algo-1 worker 0 (TensorFlow)"
    )
    mwms = {
        **TF,
        "TF_CONFIG": json.dumps(
            {
                "cluster": {"worker": ["algo-1:8890", "algo-2:8890"]},
                "task": {"type": "worker", "index": 1},
            }
        ),
    }
    assert seen("training", SCRIPT, cwd="/opt/ml/code", environ=mwms).who == (
        "training algo-1 worker 1 (TensorFlow)"
    )


def test_the_toolkit_itself_is_not_debugged():
    line = ["/usr/local/bin/python3.11", "/usr/local/bin/train"]
    assert not seen("training", line, environ=tf_config("ps", 0)).debugged


def test_a_broken_tf_config_names_no_task():
    env = {**TF, "TF_CONFIG": "{not json"}
    assert (
        seen("training", SCRIPT, cwd="/opt/ml/code", environ=env).who
        == "training algo-1 (TensorFlow)"
    )


def test_the_parameter_servers_beside_a_task_are_named():
    from smdebug_local.payload import _smdebug_local_ranks as ranks

    assert ranks.tf_parameter_servers(tf_config("master", 0)) == ["ps 0"]
    assert ranks.tf_parameter_servers(tf_config("worker", 0)) == ["ps 1"]
    mwms = {
        "TF_CONFIG": json.dumps(
            {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}
        )
    }
    assert ranks.tf_parameter_servers(mwms) == []
    assert ranks.tf_parameter_servers({"TF_CONFIG": "{not json"}) == []
    assert ranks.tf_parameter_servers({}) == []
