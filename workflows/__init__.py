"""The pure domain of Logdive: models, policy, routing, state machine, cadence, redaction.

Nothing here does I/O or reads the clock: time, facts and policy are passed in.
"""
