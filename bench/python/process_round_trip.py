"""process round trip, Python: one trivial task to a ProcessPoolExecutor(1)
and its result back, repeated."""
from concurrent.futures import ProcessPoolExecutor

from _bench import check, clock, options, report


def trivial(x):
    return x + 1


def main():
    args = options(n=5000, warmup=100)
    with ProcessPoolExecutor(1) as pool:
        total = 0
        for i in range(args.warmup + args.n):
            if i == args.warmup:
                start = clock()
            total += pool.submit(trivial, 1).result()
        seconds = clock() - start
    check(total == 2 * (args.warmup + args.n), "every task ran once")
    report("process_round_trip", "python", seconds, args.n)


if __name__ == "__main__":
    main()
