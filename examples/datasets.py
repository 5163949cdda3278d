from skmm.datasets import load_birds, load_diamonds, load_scorecard, load_tweets  # noqa: F401  (moved to skmm.datasets)
