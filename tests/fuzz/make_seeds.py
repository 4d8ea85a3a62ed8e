#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: valid frames of the worker protocol
(executors/include/cofutures/detail/wire.hpp), native little-endian, each
prefixed with the piece-size byte fuzz_input.hpp reads first.

  make_seeds.py DIR   (writes DIR/parent/* and DIR/worker/*)
"""
import os
import struct
import sys

HELLO, INIT, INIT_FAILED, TASK, RESULT, ERROR, SHUTDOWN = range(1, 8)


def frame(kind, body=b""):
    return struct.pack("<IB", len(body) + 1, kind) + body


def s(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def error_info(kind, type_name, what, stack=""):
    return struct.pack("<B", kind) + s(type_name) + s(what) + s(stack)


def cereal_string(text):
    return struct.pack("<Q", len(text)) + text.encode()


def cereal_ints(values):
    return struct.pack("<Q", len(values)) + b"".join(struct.pack("<i", v) for v in values)


seeds = {
    "worker": {
        "task_add": frame(TASK, struct.pack("<Q", 1) + s("mix") + struct.pack("<qq", 2, 40)),
        "task_measure": frame(TASK, struct.pack("<Q", 2) + s("measure") + cereal_string("hello") + cereal_ints([1, 2, 3])),
        "init_then_tasks": frame(INIT, s("mix") + struct.pack("<qq", 0, 0))
        + frame(TASK, struct.pack("<Q", 3) + s("mix") + struct.pack("<qq", 1, 1))
        + frame(SHUTDOWN),
        "unknown_task": frame(TASK, struct.pack("<Q", 4) + s("nope") + b"\0" * 8),
    },
    "parent": {
        "hello_result": frame(HELLO, struct.pack("<i", 1234)) + frame(RESULT, struct.pack("<Q", 1) + struct.pack("<q", 42)),
        "error_std": frame(ERROR, struct.pack("<Q", 2) + error_info(3, "std::invalid_argument", "bad", "#0 main")),
        "error_remote": frame(ERROR, struct.pack("<Q", 3) + error_info(0, "my::error", "custom")),
        "init_failed": frame(INIT_FAILED, error_info(1, "std::runtime_error", "init failed")),
    },
}

for side, files in seeds.items():
    os.makedirs(os.path.join(sys.argv[1], side), exist_ok=True)
    for name, data in files.items():
        for piece in (0, 6):  # whole reads of 1 byte, and of 7 bytes
            with open(os.path.join(sys.argv[1], side, f"{name}_{piece + 1}"), "wb") as f:
                f.write(bytes([piece]) + data)
