"""HTTP, Python: n GETs of one URL with urllib.request on a
ThreadPoolExecutor(workers)."""
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from _bench import check, clock, options, report


def get(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, len(response.read())


def fetch_all(pool, url, n):
    return list(pool.map(get, [url] * n))


def main():
    args = options(url="", n=2000, workers=32, workload="http")
    check(args.url != "", "--url is given")
    with ThreadPoolExecutor(args.workers) as pool:
        fetch_all(pool, args.url, args.workers)
        start = clock()
        results = fetch_all(pool, args.url, args.n)
        seconds = clock() - start
    check(all(status == 200 for status, _ in results), "every GET answered 200")
    report(args.workload, "python", seconds, args.n, bytes=sum(size for _, size in results))


if __name__ == "__main__":
    main()
