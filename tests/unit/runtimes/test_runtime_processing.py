"""Processing jobs: a ScriptProcessor's script and a FrameworkProcessor's runproc.sh."""

from seen import seen


def test_a_script_processors_script():
    line = ["/usr/bin/python3", "/opt/ml/processing/input/code/process.py", "--rows", "5"]
    assert seen("processing", line).__dict__ == {
        "debugged": True,
        "deferred": False,
        "who": "processing algo-1",
    }


def test_a_framework_processors_script_run_from_the_unpacked_source_dir():
    # runproc.sh: cd /opt/ml/processing/input/code && tar -xzf sourcedir.tar.gz && python process.py
    line = ["python", "process.py"]
    assert seen("processing", line, cwd="/opt/ml/processing/input/code").debugged
