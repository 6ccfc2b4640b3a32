"""The one exception type whose message is shown to users as-is.

Every failure a user can fix (missing file, Docker down, port taken, ...) is raised as a
:class:`SmdebugError` whose message is a single line naming the problem and the fix; the
CLI prints it as ``smdebug-local: error: <message>`` and exits non-zero. Anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class SmdebugError(Exception):
    """A problem the user can fix; ``str(err)`` is one line naming it and the fix."""

    exit_code = 2
