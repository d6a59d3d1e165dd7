"""Calibration: learn uncertain scenario values from patterns programmes have seen (ABC-SMC).

    schema      the calibration file: priors, targets, settings; validated with file:line errors
    outcomes    what a target measures in the model (frames, districts, roles, derived outcomes)
    evaluate    many candidates' runs as batches on the parallel layer (workers import only this)
    sampler     a pyabc sampler that evaluates rounds of candidates as batches
    smc         pyabc's ABC-SMC with a measurement-noise model for the targets, resumable
    history     the SQLite history as tidy tables
    analysis    intervals, identification, trade-offs, fit to the targets
    figures     marginals, pairs, posterior predictive, populations
    report      report.html
    runner      from a file to a finished folder

Only sampler, smc, history and runner's run step import pyabc (about 7 s); other commands never do.
"""
