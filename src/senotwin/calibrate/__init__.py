"""Calibration: shipped data sets and fits of the physical-units model to them (issue 12)."""
