"""memory, Python: --mode futures: bytes per pending Future (RSS growth);
--mode map: peak RSS of a ThreadPoolExecutor map over a lazy range with
buffersize (Python 3.14's Executor.map(buffersize=...); on older Pythons the
same algorithm is spelled out here)."""
import collections
import inspect
import itertools
from concurrent.futures import Future, ThreadPoolExecutor

from _bench import check, clock, options, peak_rss_bytes, report, rss_bytes


def pending_futures(n):
    futures = [None] * n  # the slots first: only the futures count
    before = rss_bytes()
    start = clock()
    for i in range(n):
        futures[i] = Future()
    seconds = clock() - start
    per_future = (rss_bytes() - before) / n
    check(not futures[-1].done(), "the futures are pending")
    report("memory_future", "python", seconds, n, bytes_per_future=per_future)


def buffered_map(pool, fn, iterable, buffersize):
    """Executor.map(fn, iterable, buffersize=...) as Python 3.14 does it."""
    if "buffersize" in inspect.signature(pool.map).parameters:
        yield from pool.map(fn, iterable, buffersize=buffersize)
        return
    inputs = iter(iterable)
    pending = collections.deque(pool.submit(fn, x) for x in itertools.islice(inputs, buffersize))
    while pending:
        for x in itertools.islice(inputs, 1):  # refill first, as 3.14 does
            pending.append(pool.submit(fn, x))
        yield pending.popleft().result()


def trivial(x):
    return x + 1


def map_rss(n, buffersize, workers):
    mib = 1024.0 * 1024.0
    start_rss = rss_bytes()
    early = 0
    total = 0
    with ThreadPoolExecutor(workers) as pool:
        start = clock()
        for i, r in enumerate(buffered_map(pool, trivial, range(n), buffersize), 1):
            total += r
            if i == n // 100:
                early = rss_bytes()
        seconds = clock() - start
    check(total == n * (n + 1) // 2, "every input mapped once")
    report("memory_map", "python", seconds, n, peak_rss_mib=peak_rss_bytes() / mib,
           start_rss_mib=start_rss / mib, rss_growth_after_1pct_mib=(rss_bytes() - early) / mib)


def main():
    args = options(mode="futures", n=0, buffersize=1000, workers=2)
    if args.mode == "map":
        map_rss(args.n or 1000000, args.buffersize, args.workers)
    else:
        pending_futures(args.n or 1000000)


if __name__ == "__main__":
    main()
