"""The file watcher on a real folder (inotify through watchdog): bursts, ignores, content."""

from __future__ import annotations

import threading
import time

from smdebug_local.watch.watcher import FileWatcher


class Batches:
    def __init__(self) -> None:
        self.items: list[list[str]] = []
        self.cond = threading.Condition()

    def __call__(self, files: list[str]) -> None:
        with self.cond:
            self.items.append(files)
            self.cond.notify_all()

    def wait(self, count: int, timeout: float = 10) -> list[list[str]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


def test_a_burst_is_one_batch_and_ignored_or_unchanged_files_are_none(tmp_path):
    (tmp_path / "train.py").write_text("a = 1\n")
    batches = Batches()
    watcher = FileWatcher(batches, quiet=0.2, cap=2.0)
    watcher.start()
    try:
        assert watcher.watch(str(tmp_path))
        assert not watcher.watch(str(tmp_path / "sub")), "already covered by its parent"
        for i in range(200):
            (tmp_path / f"m{i}.py").write_text(f"x = {i}\n")
        assert len(batches.wait(1)[0]) == 200
        time.sleep(0.6)
        assert len(batches.items) == 1

        (tmp_path / "train.py").write_text("a = 1\n")  # same content
        (tmp_path / ".train.py.swp").write_text("swap")
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0")
        time.sleep(1.0)
        assert len(batches.items) == 1, batches.items

        # An editor's safe write: temp file, then rename over the original.
        (tmp_path / "train.py___jb_tmp___").write_text("a = 2\n")
        (tmp_path / "train.py___jb_tmp___").rename(tmp_path / "train.py")
        assert batches.wait(2)[1] == [str(tmp_path / "train.py")]
    finally:
        watcher.stop()
