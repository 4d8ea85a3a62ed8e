"""process throughput, Python: --mode submit: n trivial tasks submitted to
a ProcessPoolExecutor, then every result(); --mode map: map(chunksize)."""
from concurrent.futures import ProcessPoolExecutor, wait

from _bench import check, clock, options, report


def trivial(x):
    return x + 1


def with_submit(pool, n):
    futures = [pool.submit(trivial, i) for i in range(n)]
    wait(futures)
    return sum(f.result() for f in futures)


def with_map(pool, n, chunksize):
    return sum(pool.map(trivial, range(n), chunksize=chunksize))


def main():
    args = options(n=0, mode="submit", chunksize=1000, workers=2)
    n = args.n or (1000000 if args.mode == "map" else 100000)
    with ProcessPoolExecutor(args.workers) as pool:
        with_submit(pool, 4 * args.workers)  # start the workers (not timed)
        start = clock()
        total = with_map(pool, n, args.chunksize) if args.mode == "map" else with_submit(pool, n)
        seconds = clock() - start
    check(total == n * (n + 1) // 2, "every task ran once")
    report("process_map" if args.mode == "map" else "process_throughput", "python", seconds, n)


if __name__ == "__main__":
    main()
