"""Layer 1, replications: every arm on common-random-number seeds (`ptsim compare`), then question 2's pair
run on as many paired replications as its pilot (the first) says are needed to resolve or bound its effect."""

from __future__ import annotations

from pathlib import Path

from ..experiment import compare
from .effects import display, pair_values
from .precision import needed
from .questions import Q2_PAIR, Q2_TARGETS, Effect, arms, scenarios


def run(size, workers: int = 1, work: Path | None = None, progress=None) -> dict:
    """Runs tables of the arms (`main`, `size.reps` replications) and of question 2's pair (`q2`, `q2_pairs`
    replications on the same seeds, so its first ones are the pilot's), with the pilot's plan (`q2_plan`)."""
    def folder(name):
        return None if work is None else Path(work) / name
    say = progress or (lambda done, total, label: None)
    main = compare(scenarios(arms(), size), reps=size.reps, out=folder("replications"), resume=True,
                   workers=workers, progress=lambda d, t: say(d, t, "replications"))
    plans = {o: needed(pair_values(main.runs, Effect(*Q2_PAIR, o)) * display(o)[0]) for o in Q2_TARGETS}
    wanted = max(p["n"] for p in plans.values())
    pairs = int(min(size.q2_max_pairs, max(size.reps, wanted)))
    q2 = main.runs
    if pairs > size.reps:
        reference, arm = Q2_PAIR[1], Q2_PAIR[0]
        q2 = compare(scenarios([reference, arm], size), reps=pairs, out=folder("q2"), resume=True, workers=workers,
                     progress=lambda d, t: say(d, t, "question 2")).runs
    return {"main": main.runs, "q2": q2, "q2_plan": plans, "q2_pairs": pairs, "q2_wanted": wanted}
