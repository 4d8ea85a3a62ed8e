#!/usr/bin/env python3
"""Sends Ctrl-C to examples/ctrl_c run as a subprocess and checks that it
behaves like asyncio.run: the main coroutine is cancelled, queued work is
cancelled, worker processes are gone, exit status 128 + signal; and that a
second Ctrl-C ends a program stuck in clean-up at once.

  check_interrupt.py PROGRAM
"""
import os
import signal
import subprocess
import sys
import time


def children(pid):
    """The pids of pid's child processes (all its threads' children)."""
    result = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            result += [int(c) for c in f.read().split()]
    return result


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start(program, *args):
    p = subprocess.Popen([program, *args], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if line.strip() != "ready: press Ctrl-C":
        p.kill()
        raise SystemExit(f"FAIL: expected the ready line, got {line!r}")
    return p


def check(ok, what, errors):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        errors.append(what)


def first_signal(program, sig, errors):
    p = start(program)
    deadline = time.monotonic() + 5  # the pool starts its workers in the background
    while len(children(p.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = children(p.pid)
    check(len(workers) == 2, f"two worker processes before the signal: {workers}", errors)
    started = time.monotonic()
    p.send_signal(sig)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        check(False, f"{sig.name}: exited within 10 s", errors)
        return
    print(out, end="")
    check(p.returncode == 128 + sig, f"{sig.name}: exit status {p.returncode}, expected {128 + sig}", errors)
    check("main coroutine: cancelled" in out, f"{sig.name}: the main coroutine was cancelled", errors)
    check("thread pool: queued tasks cancelled: yes" in out, f"{sig.name}: queued tasks were cancelled", errors)
    check(f"main: interrupted by signal {int(sig)}" in out, f"{sig.name}: run() threw keyboard_interrupt", errors)
    check(time.monotonic() - started < 5, f"{sig.name}: exited promptly", errors)
    check(not any(alive(w) for w in workers), f"{sig.name}: no worker process left", errors)


def second_signal(program, errors):
    p = start(program, "--stubborn")
    p.send_signal(signal.SIGINT)
    while True:
        line = p.stdout.readline()
        if not line or line.startswith("main: interrupted"):
            break
    check(line.startswith("main: interrupted"), "stubborn: the first Ctrl-C reached main", errors)
    started = time.monotonic()
    p.send_signal(signal.SIGINT)  # clean-up waits for a 30 s task: this one must end it
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    check(p.returncode == -signal.SIGINT, f"stubborn: the second Ctrl-C ended it at once (status {p.returncode})", errors)
    check(time.monotonic() - started < 5, "stubborn: within 5 s", errors)


def main():
    program = sys.argv[1]
    errors = []
    first_signal(program, signal.SIGINT, errors)
    first_signal(program, signal.SIGTERM, errors)
    second_signal(program, errors)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
