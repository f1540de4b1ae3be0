"""The check list both parity test scripts keep: one printed line per check, the failures counted."""

failures = []


def check(cond, what):
    print(f'{"ok  " if cond else "FAIL"} {what}')
    if not cond:
        failures.append(what)
    return cond


def summary():
    """Prints the closing line; returns the exit status."""
    print(f'{len(failures)} failed' + (': ' + '; '.join(failures) if failures else ''))
    return 1 if failures else 0
