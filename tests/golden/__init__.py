"""Golden numbers: the summaries of three small runs, pinned so a refactor shows it changes nothing."""
