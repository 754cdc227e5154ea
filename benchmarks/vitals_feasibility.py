"""Is the simulated task learnable, and how hard is the second hospital? NEWS2 against logistic regression.

    python benchmarks/vitals_feasibility.py [--train 2000] [--test 1000]

Per setting: the missing-cell share, septic share, positive-hour share, and per-hour AUROC/AUPRC of
NEWS2 and of a logistic regression on the model's 108 hourly features (trained on that setting, and
trained on hospital_a then applied here: the transfer the GRU must survive). Measured at 2000/1000
(before the simulator's lab-panel draw order was made process-independent, so expect small shifts):
NEWS2 AUROC 0.764 (A) / 0.693 (B); LR 0.902 (A) / 0.787 (B); LR trained on A, tested on B: 0.774.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from apps.vitals.data import heldout_cohort
from apps.vitals.features import fit_stats, stay_features
from apps.vitals.news2 import news2_scores
from apps.vitals.simulate import SETTINGS
from apps.vitals.utility import hourly_auprc, hourly_auroc

TRAIN_SEED, TEST_SEED = 1, 2
REGULARISATION_C = 0.5


def fit_logistic(stays, stats) -> LogisticRegression:
    inputs = np.concatenate([stay_features(stay.values, stats) for stay in stays])
    labels = np.concatenate([stay.labels for stay in stays])
    return LogisticRegression(max_iter=2000, C=REGULARISATION_C).fit(inputs, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=1000)
    args = parser.parse_args()
    reference = None
    for setting in SETTINGS:
        started = time.time()
        train = heldout_cohort(setting, args.train, TRAIN_SEED)
        test = heldout_cohort(setting, args.test, TEST_SEED)
        stats = fit_stats(train)
        model = fit_logistic(train, stats)
        reference = reference or (model, stats)  # the first setting (hospital_a) is the training hospital
        labels = [stay.labels for stay in test]
        news = [news2_scores(stay) for stay in test]
        own = [model.predict_proba(stay_features(stay.values, stats))[:, 1] for stay in test]
        transfer = [reference[0].predict_proba(stay_features(stay.values, reference[1]))[:, 1] for stay in test]
        cells = np.concatenate([stay.values for stay in test])
        print(f"{setting}: missing {np.isnan(cells).mean():.3f}, septic {np.mean([l.any() for l in labels]):.3f}, "
              f"positive hours {np.concatenate(labels).mean():.3f} | NEWS2 AUROC {hourly_auroc(labels, news):.3f} "
              f"AUPRC {hourly_auprc(labels, news):.3f} | LR AUROC {hourly_auroc(labels, own):.3f} "
              f"AUPRC {hourly_auprc(labels, own):.3f} | LR trained on hospital_a AUROC "
              f"{hourly_auroc(labels, transfer):.3f}  [{time.time() - started:.0f} s]")


if __name__ == "__main__":
    main()
