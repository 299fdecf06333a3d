"""check(): one line per expectation, and the exit status of a test."""
FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)


def finish():
    """Exit status: 0 if every check passed."""
    if FAILED:
        print(f"{len(FAILED)} checks failed")
        return 1
    print("all checks passed")
    return 0
