"""The one exception type whose message is shown to users as-is.

Every failure a user can fix (missing file, Docker down, port taken, ...) is raised as a
:class:`SmdebugError` made from the catalogue in :mod:`smdebug_local.messages`: a problem
and its fix. The CLI prints ``smdebug-local: error: <problem>; <fix>`` and exits non-zero;
``doctor`` shows both apart. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class SmdebugError(Exception):
    """A problem the user can fix; ``str(err)`` is one line naming it and the fix."""

    exit_code = 2

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem}; {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix
