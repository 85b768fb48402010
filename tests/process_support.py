"""Child processes that a test interrupts the way a user at a terminal would."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """`preexec_fn` for a child that will get SIGINT: a runner started with SIGINT ignored (any
    non-interactive background job, as CI wrappers start it) passes SIG_IGN on to its children,
    and a Python child that inherits it never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
