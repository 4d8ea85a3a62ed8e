"""throughput, Python: n trivial tasks submitted to a ThreadPoolExecutor,
then every result()."""
from concurrent.futures import ThreadPoolExecutor

from _bench import check, clock, options, report


def trivial():
    return 1


def batch(pool, n):
    futures = [pool.submit(trivial) for _ in range(n)]
    return sum(f.result() for f in futures)


def main():
    args = options(n=100000, workers=2)
    with ThreadPoolExecutor(args.workers) as pool:
        batch(pool, 1000)
        start = clock()
        total = batch(pool, args.n)
        seconds = clock() - start
    check(total == args.n, "every task ran once")
    report("throughput", "python", seconds, args.n)


if __name__ == "__main__":
    main()
