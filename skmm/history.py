"""Training history: per-epoch columns grouped by head, and a plot of them.

``history_`` of a fitted estimator is a DataFrame with one row per epoch and
Keras' metric names as columns: ``loss``, ``<head>_loss``,
``<head>_<metric>`` and their ``val_`` twins. :func:`plot_history` draws one
panel per head (plus the total loss), train solid and validation dashed;
:func:`appended` adds each fit's epochs to it. matplotlib is an optional
dependency: ``pip install "skmm[plot]"``.
"""

from __future__ import annotations

import sys
import time

import keras
import pandas as pd

__all__ = ["EpochLog", "head_columns", "plot_history"]


def head_columns(history: pd.DataFrame, heads) -> dict[str, list[str]]:
    """Training-side columns of ``history`` per panel: "loss" then each head.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame(columns=["loss", "a_loss", "a_accuracy", "val_loss", "val_a_loss"])
    >>> head_columns(h, ["a"])
    {'loss': ['loss'], 'a': ['a_loss', 'a_accuracy']}
    """
    train = [c for c in history.columns if not str(c).startswith("val_")]
    panels: dict[str, list[str]] = {}
    if "loss" in train:
        panels["loss"] = ["loss"]
    # longest names first, so head "a_b" is not taken for head "a" plus metric "b_..."
    for head in sorted(heads, key=len, reverse=True):
        prefix = f"{head}_"
        mine = [c for c in train if str(c).startswith(prefix)
                and not any(c in cols for cols in panels.values())]
        if mine:
            panels[head] = sorted(mine, key=lambda c: c != f"{head}_loss")  # loss first
    ordered = {"loss": panels["loss"]} if "loss" in panels else {}
    ordered.update({h: panels[h] for h in heads if h in panels})
    return ordered


def with_head_names(logs, output_names):
    """Keras' per-epoch logs with output-layer names replaced by head names.

    A head whose name Keras refuses (``price/sqft``) or that an input has
    trains as an output layer named otherwise
    (:attr:`skmm.meta.ModelMeta.output_names`); ``history_`` keeps y's names.

    Examples
    --------
    >>> with_head_names({"loss": [1.0], "val_price_sqft_mae": [0.5]}, {"price/sqft": "price_sqft"})
    {'loss': [1.0], 'val_price/sqft_mae': [0.5]}
    """
    renamed = sorted(((layer, head) for head, layer in output_names.items() if layer != head),
                     key=lambda pair: len(pair[0]), reverse=True)
    if not renamed:
        return dict(logs)
    out = {}
    for key, values in logs.items():
        val, bare = ("val_", key[4:]) if key.startswith("val_") else ("", key)
        for layer, head in renamed:
            if bare.startswith(f"{layer}_"):
                bare = f"{head}_{bare[len(layer) + 1:]}"
                break
        out[f"{val}{bare}"] = values
    return out


def plot_history(history: pd.DataFrame, heads, *, figsize=None):
    """One panel per head: its training curves solid, validation curves dashed.

    Parameters
    ----------
    history : DataFrame
        An estimator's ``history_``.
    heads : list of str
        Head names, in the order their panels should appear.
    figsize : tuple, optional
        Passed to ``matplotlib.pyplot.subplots``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> h = pd.DataFrame({"loss": [0.9, 0.5], "a_loss": [0.9, 0.5], "val_a_loss": [1.0, 0.7]},
    ...                  index=pd.RangeIndex(1, 3, name="epoch"))
    >>> [ax.get_title() for ax in plot_history(h, ["a"]).axes]
    ['loss', 'a']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_history needs matplotlib: pip install \"skmm[plot]\" (or matplotlib)."
        ) from None
    if history is None or len(history) == 0:
        raise ValueError("There is no training history to plot yet; fit the estimator first.")
    panels = head_columns(history, list(heads))
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=figsize or (4.5 * n, 3.5), squeeze=False)
    for ax, (title, columns) in zip(axes[0], panels.items(), strict=True):
        for i, column in enumerate(columns):
            color = f"C{i}"
            ax.plot(history.index, history[column], color=color, label=column)
            if f"val_{column}" in history.columns:
                ax.plot(history.index, history[f"val_{column}"], color=color, linestyle="--",
                        label=f"val_{column}")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        # what the lines measure: "loss", or "loss, accuracy" when a metric shares the panel
        measures = [c[len(title) + 1:] if c.startswith(f"{title}_") else c for c in columns]
        ax.set_ylabel(", ".join(dict.fromkeys(measures)))
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def appended(history, logs, output_names):
    """``history`` with one more row per epoch of Keras' ``logs``, under head names.

    Epochs number on from the last one of ``history`` (a warm start or a
    ``partial_fit`` adds to the same table); logs are renamed by
    :func:`with_head_names`.

    Parameters
    ----------
    history : DataFrame or None
        An estimator's ``history_`` so far (None or empty: none yet).
    logs : dict of str -> list of float
        ``keras.callbacks.History.history`` of one ``model.fit``.
    output_names : dict of str -> str
        Head name -> output-layer name (:attr:`skmm.meta.ModelMeta.output_names`).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> first = appended(None, {"loss": [0.9, 0.7]}, {})
    >>> both = appended(first, {"loss": [0.6]}, {})
    >>> both.index.tolist(), both["loss"].tolist()
    ([1, 2, 3], [0.9, 0.7, 0.6])
    """
    frame = pd.DataFrame(with_head_names(logs, output_names))
    start = 0 if history is None else len(history)
    frame.index = pd.RangeIndex(start + 1, start + 1 + len(frame), name="epoch")
    return pd.concat([history, frame]) if start else frame


class EpochLog(keras.callbacks.Callback):
    """Print one line per epoch: its number, its time and every head's validation metrics.

    Pass it in ``callbacks`` (it is copied fresh for every fit, like any
    callback). Without validation data (no ``validation_split`` and no early
    stopping) it prints the training metrics instead.

    Parameters
    ----------
    file : file-like, default=sys.stdout
        Where the lines go.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import EpochLog, FunctionalRegressor
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> reg = FunctionalRegressor(epochs=2, validation_split=0.25, random_state=0,
    ...                           callbacks=[EpochLog()]).fit(X, X[:, 0])  # doctest: +ELLIPSIS
    epoch 1/2 ... s  loss ...  val_loss ...  val_mae ...
    epoch 2/2 ... s  loss ...  val_loss ...  val_mae ...
    """

    def __init__(self, file=None):
        super().__init__()
        self.file = file

    def __deepcopy__(self, memo):
        # the estimator copies callbacks for every fit; the copy writes to the same file
        return type(self)(file=self.file)

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs")

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = [k for k in logs if k.startswith("val_")] or list(logs)
        if "loss" in logs and "loss" not in shown:
            shown.insert(0, "loss")
        parts = "  ".join(f"{k} {float(logs[k]):.4g}" for k in shown)
        print(f"epoch {epoch + 1}/{self._epochs} {time.perf_counter() - self._start:.1f} s  "
              f"{parts}", file=self.file or sys.stdout, flush=True)

