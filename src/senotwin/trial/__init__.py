"""Virtual clinical trials: a library of published trials as data, run on trial-like patients.

A trial (``trial/data/<id>.yaml``) names its population (inclusion, reported baseline), its arms
as regimens of the regimen language, its tumour-assessment schedule and its published results
with their source. :func:`senotwin.trial.run.run_trial` selects virtual patients to the reported
baseline, runs every arm on the same patients, applies RECIST 1.1 as the trial did and sets the
simulated endpoints beside the published ones. Nothing is fitted to any trial's outcomes.
"""
