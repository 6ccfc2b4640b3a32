"""While a process is paused: pause reports, and the proxy-timeout line for nginx in front.

Runs under every host Python 3.8+ like the other payload tests (imported as in containers).
"""

from __future__ import annotations

import os
import sys
import threading
import time

import _smdebug_local_pause as pause

SAMPLE_CONF = """
worker_processes 1;
http {
  server {
    listen 8080 deferred;
    client_max_body_size 5m;
    keepalive_timeout 5;
    # proxy_read_timeout 5s;  (commented out: not in effect)
    proxy_read_timeout 1200s;
    location ~ ^/(ping|invocations) {
      proxy_set_header Host $http_host;
      proxy_redirect off;
      proxy_read_timeout 5m;
      proxy_pass http://gunicorn;
    }
  }
}
"""


def test_nginx_is_found_by_its_renamed_master_process():
    assert pause.nginx_config(["/usr/bin/python3 serve", "gunicorn: master [x]"]) is None
    assert (
        pause.nginx_config(["nginx: master process nginx -c /opt/program/nginx.conf"])
        == "/opt/program/nginx.conf"
    )
    assert (
        pause.nginx_config(["nginx: worker process", "nginx: master process /usr/sbin/nginx"])
        == "/etc/nginx/nginx.conf"
    )


def test_the_shortest_read_timeout_in_effect_counts():
    assert pause.read_timeout(SAMPLE_CONF) == 300.0
    assert pause.read_timeout("proxy_read_timeout 1h;\nproxy_read_timeout 90;") == 90.0
    assert pause.read_timeout("http { }") == pause.NGINX_DEFAULT_TIMEOUT


def test_one_line_per_pause_that_outlasts_the_proxy():
    said = []
    looked = []

    def find():
        looked.append(1)
        return (300.0, "/opt/program/nginx.conf")

    watch = pause.PauseLimit("serving algo-1", find, pause.proxy_line, say=said.append)
    watch.step(0, 0.0)
    assert looked == []  # nothing looked for before the first pause
    watch.step(1, 10.0)
    watch.step(1, 309.0)
    assert said == []
    watch.step(1, 310.0)
    watch.step(1, 400.0)
    assert len(said) == 1
    assert said[0].startswith("serving algo-1 paused for 300s, longer than nginx's")
    assert "/opt/program/nginx.conf" in said[0] and "504" in said[0]
    watch.step(0, 401.0)  # resumed; the next long pause is said again
    watch.step(1, 402.0)
    watch.step(1, 703.0)
    assert len(said) == 2 and looked == [1]


def test_no_line_without_a_proxy():
    said = []
    watch = pause.PauseLimit("serving algo-1", lambda: None, pause.proxy_line, say=said.append)
    for now in (0.0, 5000.0):
        watch.step(1, now)
    assert said == []


def _watch_threads():
    return [t for t in threading.enumerate() if t.name == "smdebug-local-pause-watch"]


def test_the_watch_runs_again_in_a_forked_child(tmp_path):
    """gunicorn forks its workers from the debugged master: the pause watch must run in
    each of them (threads do not survive a fork), once."""
    assert pause.watch({"role": "serving", "host": "algo-1", "status": str(tmp_path)})
    assert pause.watch({"role": "serving", "host": "algo-1"})  # once per process
    assert len(_watch_threads()) == 1
    pid = os.fork()
    if pid == 0:  # the child: exactly one watch thread, its own
        deadline = time.time() + 5
        while not _watch_threads() and time.time() < deadline:
            time.sleep(0.01)
        os._exit(0 if len(_watch_threads()) == 1 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


class _Monkey:
    """gevent.monkey as the payload asks it (stand-in: no gevent on the host)."""

    @staticmethod
    def is_module_patched(name):
        return name == "threading"


def test_no_watch_in_a_child_forked_after_gevent_patched(monkeypatch):
    """A gevent worker's fork is subprocess about to exec: starting a thread there went
    through gevent's threading and the child never reached its exec (the request hung)."""
    started = []
    watch = pause.PauseWatch(lambda: [])
    monkeypatch.setattr(watch, "start", lambda: started.append(1))
    monkeypatch.setitem(sys.modules, "gevent.monkey", _Monkey())
    pause._start_quietly(watch)
    assert started == []
    monkeypatch.delitem(sys.modules, "gevent.monkey")
    pause._start_quietly(watch)  # a worker forked before patching still gets its watch
    assert started == [1]


def test_nothing_starts_when_nothing_applies():
    assert pause.watch({"role": "training", "host": "algo-1"}) is None


class _Dist:
    """torch.distributed as the pause watch sees it (stand-in: no torch on the host)."""

    def __init__(self, initialized):
        self.initialized = initialized

    def is_initialized(self):
        return self.initialized

    def get_backend(self):
        return "gloo"


class _C10d:
    @staticmethod
    def _get_default_timeout(backend):
        import datetime

        return datetime.timedelta(minutes=30 if backend == "gloo" else 10)


def test_a_rank_paused_longer_than_its_collectives_wait_is_told_why_the_job_fails():
    modules = {"torch.distributed": _Dist(True), "torch.distributed.distributed_c10d": _C10d}
    limit = pause.find_collective_timeout(modules)
    assert limit == (1800.0, "gloo")
    assert pause.find_collective_timeout({"torch.distributed": _Dist(False)}) is None
    assert pause.find_collective_timeout({}) is None
    said = []
    watch = pause.PauseLimit(
        "training algo-1 rank 1/2", lambda: limit, pause.collective_line, say=said.append
    )
    watch.step(1, 0.0)
    watch.step(1, 1799.0)
    watch.step(1, 1801.0)
    (line,) = said
    assert line.startswith(
        "training algo-1 rank 1/2 paused for 1801s, longer than the default timeout of its "
        "gloo process group (1800s)"
    )
    assert "init_process_group(timeout=...)" in line


def test_a_limit_that_appears_later_is_found_at_a_later_pause():
    """A breakpoint before init_process_group (or before nginx runs) must not switch the
    line off for the rest of the process."""
    limits = [None, (10.0, "gloo")]
    said = []
    watch = pause.PauseLimit(
        "training algo-1 rank 1/2", lambda: limits.pop(0), pause.collective_line, say=said.append
    )
    watch.step(1, 0.0)
    watch.step(1, 50.0)  # nothing to outlast yet
    watch.step(0, 51.0)
    watch.step(1, 60.0)
    watch.step(1, 71.0)
    assert len(said) == 1 and "gloo process group (10s)" in said[0]
