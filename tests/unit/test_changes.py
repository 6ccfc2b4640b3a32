"""Watch mode's rules: ignore, debounce, content changes, which job a file concerns."""

from __future__ import annotations

import os

import pytest

from smdebug_local.watch.content import ContentIndex, files, ignore_rules
from smdebug_local.watch.filters import Debouncer, IgnoreRules, Source, affected


@pytest.mark.parametrize(
    "path",
    [
        ".git/index",
        "pkg/__pycache__/m.cpython-311.pyc",
        "m.pyc",
        ".ipynb_checkpoints/n.ipynb",
        ".train.py.swp",
        "train.py~",
        "4913",
        "#train.py#",
        ".#train.py",
        "train.py___jb_tmp___",
        "train.py___jb_old___",
        "x.tmp",
        ".smdebug-local/state.json",
    ],
)
def test_editor_temp_files_caches_and_vcs_are_ignored(tmp_path, path):
    assert IgnoreRules(tmp_path).ignored(tmp_path / path)


@pytest.mark.parametrize("path", ["train.py", "pkg/model.py", "requirements.txt", "conf/a.yaml"])
def test_source_files_are_watched(tmp_path, path):
    assert not IgnoreRules(tmp_path).ignored(tmp_path / path)


def test_gitignore_and_dockerignore_of_the_folder_apply(tmp_path):
    (tmp_path / ".gitignore").write_text("data/\n*.csv\n")
    (tmp_path / ".dockerignore").write_text("logs\n!keep.log\n*.log\n!keep.log\n")
    rules = ignore_rules(tmp_path)
    assert rules.ignored(tmp_path / "data" / "x.npy")
    assert rules.ignored(tmp_path / "sub" / "t.csv")
    assert rules.ignored(tmp_path / "logs" / "a")
    assert rules.ignored(tmp_path / "a.log")
    assert not rules.ignored(tmp_path / "keep.log")
    assert not rules.ignored(tmp_path / "train.py")


def test_paths_outside_the_root_are_not_ours(tmp_path):
    assert IgnoreRules(tmp_path / "src").ignored(tmp_path / "other.py")


def test_files_lists_what_is_watched_and_prunes_ignored_folders(tmp_path):
    for rel in ("train.py", "pkg/m.py", ".git/HEAD", "pkg/__pycache__/m.pyc", "data/x"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / ".gitignore").write_text("data/\n")
    found = sorted(os.path.relpath(p, tmp_path) for p in files(ignore_rules(tmp_path)))
    assert found == [".gitignore", "pkg/m.py", "train.py"]


def test_a_burst_is_one_batch_after_the_quiet_period():
    d = Debouncer(quiet=0.3, cap=2.0)
    for i in range(200):
        d.add(f"f{i}.py", now=10.0 + i * 0.001)
    assert d.take(now=10.3) == set()  # still inside the quiet period after the last event
    assert len(d.take(now=10.5)) == 200
    assert d.take(now=20.0) == set() and d.deadline() is None


def test_a_stream_that_never_pauses_is_cut_at_the_cap():
    d = Debouncer(quiet=0.3, cap=2.0)
    t = 0.0
    while t < 2.0:
        d.add("train.py", now=t)
        t += 0.1
    assert d.deadline() == pytest.approx(2.0)
    assert d.take(now=2.0) == {"train.py"}


def test_only_content_changes_count(tmp_path):
    f = tmp_path / "train.py"
    f.write_text("a = 1\n")
    index = ContentIndex()
    index.baseline([str(f)])
    os.utime(f, None)  # touch
    assert index.changed([str(f)]) == []
    f.write_text("a = 2\n")
    assert index.changed([str(f)]) == [str(f)]
    assert index.changed([str(f)]) == []  # seen now
    f.unlink()
    assert index.changed([str(f)]) == [str(f)]  # deletion is a change
    new = tmp_path / "new.py"
    new.write_text("")
    assert index.changed([str(new)]) == [str(new)]


def test_saved_and_restored_within_a_burst_is_no_change(tmp_path):
    f = tmp_path / "train.py"
    f.write_text("a = 1\n")
    index = ContentIndex()
    index.baseline([str(f)])
    f.write_text("a = 2\n")
    f.write_text("a = 1\n")
    assert index.changed([str(f)]) == []


def test_an_edit_concerns_the_jobs_running_from_that_folder(tmp_path):
    src = str(tmp_path / "src")
    training = Source("training", src, "train.py")
    serving = Source("serving", src, "inference.py")
    other = Source("training", str(tmp_path / "other"), "train.py")
    train_py, inference_py, util = (
        os.path.join(src, n) for n in ("train.py", "inference.py", "util.py")
    )
    sources = [training, serving, other]
    assert affected([train_py], training, sources) == [train_py]
    assert affected([train_py], other, sources) == []
    # The serving entry point does not rerun training; shared helpers concern both.
    assert affected([inference_py], training, sources) == []
    assert affected([inference_py, util], serving, sources) == [inference_py, util]
    assert affected([util], training, sources) == [util]


def test_a_file_that_is_both_entry_points_reruns_training(tmp_path):
    src = str(tmp_path)
    training = Source("training", src, "main.py")
    serving = Source("serving", src, "main.py")
    path = os.path.join(src, "main.py")
    assert affected([path], training, [training, serving]) == [path]


def test_a_script_processor_reruns_only_for_its_script_a_framework_one_for_its_folder(
    tmp_path,
):
    """A ScriptProcessor uploads its one script: a sibling's edit is not its change. A
    FrameworkProcessor packs its source_dir, but not for an endpoint's entry point."""
    src = str(tmp_path)
    script = Source("processing", src, "preprocess.py", entry_only=True)
    framework = Source("processing", src, "preprocess.py")
    serving = Source("serving", src, "inference.py")
    preprocess, helper, inference = (
        os.path.join(src, n) for n in ("preprocess.py", "helper.py", "inference.py")
    )
    sources = [script, framework, serving]
    assert affected([preprocess, helper], script, sources) == [preprocess]
    assert affected([helper], script, sources) == []
    assert affected([preprocess, helper, inference], framework, sources) == [preprocess, helper]
