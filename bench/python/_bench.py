"""What the Python baselines share: options and the one JSON result line
(the same shape the C++ workload programs print)."""
import argparse
import json
import resource
import sys
import time


def options(**defaults):
    """--name value options with these defaults (numbers accept 1e6)."""
    parser = argparse.ArgumentParser()
    for name, value in defaults.items():
        kind = (lambda text: int(float(text))) if isinstance(value, int) else type(value)
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=value)
    return parser.parse_args()


def report(workload, impl, seconds, ops, **extra):
    line = {"workload": workload, "impl": impl, "seconds": seconds, "ops": ops}
    line.update(extra)
    print(json.dumps(line), flush=True)


def check(ok, what):
    if not ok:
        print(f"bench: check failed: {what}", file=sys.stderr)
        sys.exit(2)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


clock = time.perf_counter
