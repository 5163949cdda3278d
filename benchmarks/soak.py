"""Soak: many fit/predict cycles of a small skmm model in one process, watching memory.

Prints resident memory (RSS) after 10 and after N cycles (default 100) and the
growth between them; the goal is growth under 15% (Keras models, compiled
functions and sessions released between fits).

    python benchmarks/soak.py [--cycles 100]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from conftest import make_reviews  # noqa: E402

from skmm import FunctionalEstimator, InputRouter  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    args = parser.parse_args(argv)
    X, y = make_reviews(n=200)
    marks = {}
    start = time.perf_counter()
    for cycle in range(1, args.cycles + 1):
        est = FunctionalEstimator(
            router=InputRouter.from_columns(numeric=["price", "age"], text=["review"]),
            epochs=1, batch_size=32, random_state=cycle,
        )
        est.fit(X, y).predict(X)
        del est
        gc.collect()
        if cycle in (10, args.cycles):
            marks[cycle] = rss_mib()
            print(f"after {cycle:4d} cycles: RSS {marks[cycle]:8.1f} MiB "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    growth = marks[args.cycles] / marks[10] - 1.0
    print(f"growth from cycle 10 to {args.cycles}: {growth:+.1%} (goal: under +15%)")
    return growth


if __name__ == "__main__":
    main()
