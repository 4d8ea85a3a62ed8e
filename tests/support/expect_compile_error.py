#!/usr/bin/env python3
"""Passes when a C++ file fails to compile with an expected message.

usage: expect_compile_error.py EXPECTED SOURCE COMPILER [ARGS...]

Runs `COMPILER ARGS... -fsyntax-only SOURCE` and exits 0 only if the
compiler fails and its output contains EXPECTED; otherwise prints the
output and exits 1. The meson build's misuse tests use it for what must
not compile (CMake builds an EXCLUDE_FROM_ALL target instead).
"""

import subprocess
import sys


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    expected, source, command = argv[1], argv[2], argv[3:]
    command = command + ["-fsyntax-only", source]
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        print("the compiler did not finish within 300 s: " + " ".join(command))
        return 1
    if done.returncode == 0:
        print(f"{source} compiled, but it must fail with: {expected}")
        return 1
    if expected not in done.stdout:
        print(done.stdout)
        print(f"{source} failed to compile, but without the expected message: {expected}")
        return 1
    print(f"{source} fails to compile, as expected: ...{expected}...")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
