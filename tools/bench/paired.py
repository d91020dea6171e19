# SPDX-License-Identifier: GPL-2.0-only
"""Paired comparison of two contenders measured round by round.

The benchmarks run their contenders back to back within each round, so
the ratio of a round's two figures compares like with like even when the
host's speed drifts between rounds. Under TCG on a shared host the
figures are also bimodal: now and then a run goes at about half speed
(the emulator's threads lose a core to other load for a while), and such
a run says nothing about the code under test. With a few rounds, one of
them can move a median of ratios by 10 %.

compare() therefore reports two figures:

- the median of all per-round ratios (nothing left out), and
- the headline: the median of the ratios of the rounds in which neither
  run was disturbed, a run being disturbed when it is below DISTURBED of
  the best run of the same contender. A contender that were itself
  erratic would lose rounds this way, not gain them; the number of
  rounds kept is printed with the figure, and with fewer than MIN_KEPT
  rounds kept the headline falls back to all rounds.
"""
import statistics

DISTURBED = 0.8
MIN_KEPT = 3


def disturbed(runs):
    """Per round: True if the run is missing or well below the best."""
    got = [v for v in runs if v]
    best = max(got) if got else 0
    return [not v or v < DISTURBED * best for v in runs]


def compare(a, b):
    """a / b round by round; a and b are per-round figures (None: no run).

    Returns a dict: ratios (per round, None where a run is missing),
    median_all, kept (round indices used for the headline), headline,
    and fallback (True when too few rounds were undisturbed)."""
    ratios = [x / y if x and y else None for x, y in zip(a, b)]
    valid = [i for i, r in enumerate(ratios) if r is not None]
    if not valid:
        return {"ratios": ratios, "median_all": None, "kept": [],
                "headline": None, "fallback": True}
    da, db = disturbed(a), disturbed(b)
    kept = [i for i in valid if not da[i] and not db[i]]
    fallback = len(kept) < MIN_KEPT
    if fallback:
        kept = valid
    return {
        "ratios": ratios,
        "median_all": statistics.median(ratios[i] for i in valid),
        "kept": kept,
        "headline": statistics.median(ratios[i] for i in kept),
        "fallback": fallback,
    }


def describe(res, rounds):
    """One line: the headline, how many rounds it rests on, and all rounds."""
    if res["headline"] is None:
        return "no complete round"
    kept = len(res["kept"])
    how = ("all rounds (too few undisturbed)" if res["fallback"]
           else f"{kept} of {rounds} rounds undisturbed")
    return (f"{res['headline']:.3f} ({how}; median of all rounds "
            f"{res['median_all']:.3f})")
