"""Reading results: summaries, comparisons and tipping analysis over tidy frames. No model runs here."""
