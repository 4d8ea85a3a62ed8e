"""round trip, Python: one trivial task to a ThreadPoolExecutor(1) and its
result back, repeated; --impl tpe: submit().result(); --impl asyncio:
await loop.run_in_executor() from a coroutine."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from _bench import check, clock, options, report


def trivial():
    return 1


def with_result(pool, n):
    return sum(pool.submit(trivial).result() for _ in range(n))


async def with_asyncio(pool, n):
    loop = asyncio.get_running_loop()
    total = 0
    for _ in range(n):
        total += await loop.run_in_executor(pool, trivial)
    return total


def main():
    args = options(n=20000, warmup=1000, impl="tpe")
    with ThreadPoolExecutor(1) as pool:
        if args.impl == "asyncio":
            async def timed():
                await with_asyncio(pool, args.warmup)
                start = clock()
                total = await with_asyncio(pool, args.n)
                return total, clock() - start
            total, seconds = asyncio.run(timed())
        else:
            with_result(pool, args.warmup)
            start = clock()
            total = with_result(pool, args.n)
            seconds = clock() - start
    check(total == args.n, "every task ran once")
    report("round_trip", "python_" + args.impl, seconds, args.n)


if __name__ == "__main__":
    main()
