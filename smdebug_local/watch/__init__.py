"""Watch mode (``run --watch``): source edits rerun training jobs and reload endpoints.

``filters`` (pure rules: ignores, debounce, which job a file concerns) -> ``content``
(the disk: ignore files, walks, digests) -> ``watcher`` (file events, one follower per
job) -> ``jobs`` (rerun / reload) -> ``hot`` (function bodies put into running workers)
and ``model_server`` (TorchServe's management API);
``mode`` ties them to a debugging session.
"""
