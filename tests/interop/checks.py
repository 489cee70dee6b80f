"""What the interop scripts share: failed checks are collected and printed, and decide the exit code."""
import sys

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)
    return ok


def finish():
    """0 when every check held, 1 otherwise."""
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all checks hold")
    return 0
