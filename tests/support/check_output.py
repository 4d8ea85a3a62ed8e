#!/usr/bin/env python3
"""Runs a program and checks what it prints (examples run as tests).

  check_output.py [--line RE]... [--count RE N]... [--absent RE]... [--last RE]
                  [--timeout S] [--stdin TEXT] -- program args...

--line    lines (full matches) that must appear, in this order
--count   exactly N lines fully match RE
--absent  no line contains a match of RE
--last    the last non-empty line fully matches RE
The program must exit 0 unless --exit-code says otherwise.
"""
import argparse
import re
import subprocess
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--line", action="append", default=[])
    p.add_argument("--count", action="append", nargs=2, default=[], metavar=("RE", "N"))
    p.add_argument("--absent", action="append", default=[])
    p.add_argument("--last")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--exit-code", type=int, default=0)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: {cmd} did not finish within {a.timeout} s\n{e.stdout or ''}")
        return 1
    lines = run.stdout.splitlines()
    errors = []
    if run.returncode != a.exit_code:
        errors.append(f"exit code {run.returncode}, expected {a.exit_code}")
    pos = 0
    for pattern in a.line:
        rx = re.compile(pattern)
        while pos < len(lines) and not rx.fullmatch(lines[pos]):
            pos += 1
        if pos == len(lines):
            errors.append(f"no line matching {pattern!r} (in order)")
            pos = 0
        else:
            pos += 1
    for pattern, n in a.count:
        got = sum(1 for line in lines if re.fullmatch(pattern, line))
        if got != int(n):
            errors.append(f"{got} lines match {pattern!r}, expected {n}")
    for pattern in a.absent:
        if any(re.search(pattern, line) for line in lines):
            errors.append(f"a line matches {pattern!r}, expected none")
    if a.last is not None:
        non_empty = [line for line in lines if line.strip()]
        if not non_empty or not re.fullmatch(a.last, non_empty[-1]):
            errors.append(f"last line {non_empty[-1] if non_empty else None!r} does not match {a.last!r}")
    if errors:
        print("FAIL: " + " ".join(cmd))
        for e in errors:
            print("  - " + e)
        print("--- stdout ---\n" + run.stdout + "--- stderr ---\n" + run.stderr)
        return 1
    print(run.stdout, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
