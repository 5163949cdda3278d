"""Goal 5: peak memory of ``predict`` on 1M rows against the size of the encoded inputs.

A small seed model is fitted, then the tweets table is repeated to 1,000,000
rows. A sampling thread records resident memory (RSS) every 2 ms during
``est.predict(X)``; the figure is the peak above the level just before the
call, set against what the encoded inputs of all rows would take (float32
numbers and int32 token ids: ``n_rows * (3 * 4 + 100 * 4)`` bytes). Runs in
its own process so nothing else's memory is counted.

    python benchmarks/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from _common import print_table, ratio_result, seed_model, seed_router, seed_target, tweets


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run(quick=False):
    import gc

    import pandas as pd

    from skmm import FunctionalClassifier

    X, y = tweets(2000)
    est = FunctionalClassifier(model=seed_model, router=seed_router(), epochs=1,
                               early_stopping=False, random_state=0).fit(X, seed_target(y))
    n = 200_000 if quick else 1_000_000
    big = pd.concat([X] * (n // len(X) + 1), ignore_index=True).iloc[:n].copy()
    est.predict(big.iloc[:20_000])  # a full chunk and a partial one: functions compiled
    gc.collect()
    spec = est.router_.input_specs_
    encoded = n * sum(int(s.shape[0]) * 4 for s in spec.values())
    base = rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes())
            time.sleep(0.002)

    watcher = threading.Thread(target=sample)
    watcher.start()
    pred = est.predict(big)
    done.set()
    watcher.join()
    assert len(pred) == n
    extra = peak[0] - base
    mib = 2**20
    print(f"memory: {n} rows; encoded inputs {encoded / mib:.0f} MiB; RSS before predict "
          f"{base / mib:.0f} MiB, peak during predict +{extra / mib:.0f} MiB")
    return [ratio_result(f"predict peak memory, {n // 1000}k rows", "size of encoded inputs",
                         encoded / mib, extra / mib, "MiB", 2.0)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    print_table(run(parser.parse_args().quick))
