"""The wheel built from this repo carries everything the product needs at run time.

The in-container payload is package *data* (it is mounted, not imported, on the host): a
wheel that forgot it would install fine and then never start a debugger anywhere.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_in_a_fresh_venv_has_the_payload_and_renders_every_template(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
    )
    (wheel,) = dist.glob("smdebug_local-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # click is the only dependency these two commands need; the rest stays out for speed.
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel), "click"], check=True
    )
    check = subprocess.run(
        [
            str(python),
            "-c",
            (
                "from smdebug_local.payload import PAYLOAD_DIR as d; import sys; "
                "print(sorted(p.name for p in d.glob('*.py')))"
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert check.stdout.strip() == str(
        [
            "__init__.py",
            "_smdebug_local_boot.py",
            "_smdebug_local_bytecode.py",
            "_smdebug_local_connect.py",
            "_smdebug_local_crash.py",
            "_smdebug_local_door.py",
            "_smdebug_local_hot.py",
            "_smdebug_local_pause.py",
            "_smdebug_local_pycharm.py",
            "_smdebug_local_ranks.py",
            "_smdebug_local_stacks.py",
            "_smdebug_local_values.py",
            "sitecustomize.py",
        ]
    )
    workspace = tmp_path / "ws"
    (workspace / "src").mkdir(parents=True)
    (workspace / "driver.py").write_text("")
    subprocess.run(
        [
            str(env_dir / "bin" / "smdebug-local"),
            "init",
            "vscode",
            "--script",
            "driver.py",
            "--workspace",
            str(workspace),
        ],
        check=True,
        capture_output=True,
    )
    # Every template under templates/ is rendered from the installed wheel, in both modes.
    launch = (workspace / ".vscode" / "launch.json").read_text()
    tasks = (workspace / ".vscode" / "tasks.json").read_text()
    header = "written by\n  // `smdebug-local init vscode`"
    assert header in launch and '"smdebug-local: training"' in launch
    assert header in tasks and '"smdebug-local: run"' in tasks
    connect = tmp_path / "ws-connect"
    (connect / "src").mkdir(parents=True)
    (connect / "driver.py").write_text("")
    subprocess.run(
        [
            str(env_dir / "bin" / "smdebug-local"),
            "init",
            "vscode",
            "--script",
            "driver.py",
            "--mode",
            "connect",
            "--listen-host",
            "172.17.0.1",
            "--workspace",
            str(connect),
        ],
        check=True,
        capture_output=True,
    )
    text = (connect / ".vscode" / "launch.json").read_text()
    assert '"listen"' in text and "// restart: listen again after each run" in text
    subprocess.run(
        [str(env_dir / "bin" / "smdebug-local"), "init", "pycharm", "--workspace", str(workspace)],
        check=True,
        capture_output=True,
    )
    configs = workspace / ".idea" / "runConfigurations"
    assert sorted(p.name for p in configs.iterdir()) == [
        "smdebug_local_all.xml",
        "smdebug_local_serving.xml",
        "smdebug_local_training.xml",
    ]
    assert "PyRemoteDebugConfigurationType" in (configs / "smdebug_local_training.xml").read_text()
    assert "CompoundRunConfigurationType" in (configs / "smdebug_local_all.xml").read_text()
    templates = {p.name for p in (REPO / "templates").iterdir() if p.suffix in (".json", ".xml")}
    assert templates == {
        "vscode-launch.json",
        "vscode-tasks.json",
        "pycharm-debug-server.xml",
        "pycharm-compound.xml",
    }  # all of them rendered above
