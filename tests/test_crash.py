"""Nothing lost on a crash: atomic skmm.save, and BackupAndRestore resuming a killed fit.

Each test kills a real process with SIGKILL (no cleanup code runs) and checks
what a user finds afterwards.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import make_reviews, review_router

import skmm
from skmm import FunctionalEstimator

TESTS = Path(__file__).resolve().parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def run_child(code, timeout=120):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    # run from tests/, whose conftest (not the project root's) the child imports
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=TESTS,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def small_fit():
    X, y = make_reviews(n=96)
    return FunctionalEstimator(router=review_router(), epochs=1, random_state=0).fit(X, y), X


def test_save_killed_mid_write_leaves_the_previous_file_whole(small_fit, tmp_path):
    est, X = small_fit
    path = tmp_path / "model.skmm"
    skmm.save(est, path)
    before = path.read_bytes()
    child = run_child(f"""
        import sys, time, zipfile
        import skmm
        est = skmm.load({str(path)!r})
        real = zipfile.ZipFile.writestr
        def slow(self, name, data, *args, **kwargs):
            real(self, name, data, *args, **kwargs)
            print("wrote", name, flush=True)  # the parent kills us here, mid-file
            time.sleep(120)
        zipfile.ZipFile.writestr = slow
        skmm.save(est, {str(path)!r})
    """)
    line = child.stdout.readline()
    assert line.startswith("wrote"), child.stderr.read()
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert path.read_bytes() == before  # the old file, untouched
    pd.testing.assert_frame_equal(skmm.load(path).predict(X.head(5)), est.predict(X.head(5)),
                                  check_exact=True)


def test_failed_save_cleans_up_and_keeps_the_old_file(small_fit, tmp_path, monkeypatch):
    est, _ = small_fit
    path = tmp_path / "model.skmm"
    skmm.save(est, path)
    before = path.read_bytes()

    def broken(model):
        raise OSError("disk full")

    monkeypatch.setattr(skmm.persistence, "model_to_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        skmm.save(est, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.skmm"]  # no temporary left


def test_backup_and_restore_resumes_a_killed_fit_from_its_last_epoch(tmp_path):
    backup = tmp_path / "backup"
    epochs = 5
    child = run_child(f"""
        import os, signal, keras
        from conftest import make_reviews, review_router
        from skmm import FunctionalEstimator

        class Crash(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:  # after BackupAndRestore saved epoch 2
                    os.kill(os.getpid(), signal.SIGKILL)

        X, y = make_reviews(n=96)
        FunctionalEstimator(router=review_router(), epochs={epochs}, random_state=0,
                            callbacks=[keras.callbacks.BackupAndRestore({str(backup)!r}),
                                       Crash()]).fit(X, y)
    """)
    _, err = child.communicate(timeout=180)
    assert child.returncode == -signal.SIGKILL, err
    assert backup.exists()
    X, y = make_reviews(n=96)
    resumed = FunctionalEstimator(router=review_router(), epochs=epochs, random_state=0,
                                  callbacks=[keras.callbacks.BackupAndRestore(str(backup))])
    resumed.fit(X, y)
    assert len(resumed.history_) == epochs - 2  # epochs 3, 4 and 5 only
    fresh = FunctionalEstimator(router=review_router(), epochs=1, random_state=0).fit(X, y)
    # it went on from the trained weights: its first epoch starts far below a fresh one's
    assert resumed.history_["loss"].iloc[0] < fresh.history_["loss"].iloc[0]
    assert not backup.exists()  # Keras deletes the backup once the fit has finished
    assert np.isfinite(resumed.score(X, y))
