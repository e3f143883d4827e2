"""jq sandbox handlers built as on other platforms, for test_jq: a real sandbox process loads them by name."""

import sys


def jq_as_on_windows():
    """No `resource` module and no /proc."""
    from conductor_nb.engine import jq

    sys.modules["resource"] = None  # `import resource` raises ImportError
    jq.STATM = "/nonexistent/statm"
    return jq._jq()


def jq_as_on_macos():
    """`resource`, but no /proc."""
    from conductor_nb.engine import jq

    jq.STATM = "/nonexistent/statm"
    return jq._jq()
