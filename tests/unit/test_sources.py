"""Locating the user's folder a downloaded copy of processing code came from."""

from __future__ import annotations

from pathlib import Path

from smdebug_local.sources import find_original


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_finds_the_folder_with_identical_files(tmp_path):
    work = _write(
        tmp_path / "work",
        {
            "proc/preprocess.py": "print(1)\n",
            "proc/notes.md": "x",
            "other/preprocess.py": "print(2)\n",
        },
    )
    copy = _write(tmp_path / "tmpcopy", {"preprocess.py": "print(1)\n"})
    assert find_original(str(copy), [str(work)]) == str(work / "proc")


def test_nested_files_must_all_match(tmp_path):
    work = _write(
        tmp_path / "work",
        {"a/main.py": "m", "a/lib/util.py": "u1", "b/main.py": "m", "b/lib/util.py": "u2"},
    )
    copy = _write(tmp_path / "copy", {"main.py": "m", "lib/util.py": "u2"})
    assert find_original(str(copy), [str(work)]) == str(work / "b")


def test_none_when_edited_missing_or_only_the_copy_itself(tmp_path):
    work = _write(tmp_path / "work", {"proc/preprocess.py": "print('edited')\n"})
    copy = _write(tmp_path / "copy", {"preprocess.py": "print(1)\n"})
    assert find_original(str(copy), [str(work)]) is None
    assert find_original(str(copy), [str(tmp_path)]) is None  # the copy is under the root
    assert find_original(str(tmp_path / "absent"), [str(work)]) is None


def test_skips_virtualenvs_and_vcs_dirs(tmp_path):
    work = _write(tmp_path / "work", {".venv/lib/preprocess.py": "p", ".git/preprocess.py": "p"})
    copy = _write(tmp_path / "copy", {"preprocess.py": "p"})
    assert find_original(str(copy), [str(work)]) is None


def test_a_framework_processors_source_archive_is_matched_by_its_members(tmp_path):
    import tarfile

    work = _write(
        tmp_path / "work",
        {
            "jobs/src/process.py": "import helpers\n",
            "jobs/src/helpers.py": "X = 1\n",
            "jobs/src/__pycache__/helpers.cpython-311.pyc": "junk",
            "jobs/old/process.py": "import helpers\n",
            "jobs/old/helpers.py": "X = 0\n",
        },
    )
    copy = tmp_path / "tmpdownload"
    copy.mkdir()
    with tarfile.open(copy / "sourcedir.tar.gz", "w:gz") as tar:
        for name in ("process.py", "helpers.py"):
            tar.add(work / "jobs" / "src" / name, arcname=name)
    assert find_original(str(copy), [str(work)]) == str(work / "jobs" / "src")
    (work / "jobs" / "src" / "helpers.py").write_text("X = 2\n")  # edited since the upload
    assert find_original(str(copy), [str(work)]) is None


def test_an_unreadable_archive_finds_nothing(tmp_path):
    work = _write(tmp_path / "work", {"src/sourcedir.tar.gz": "not a tarball"})
    copy = _write(tmp_path / "copy", {"sourcedir.tar.gz": "not a tarball"})
    assert find_original(str(copy), [str(work)]) is None
