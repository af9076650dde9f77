"""Therapy: the drug library (one definition per drug), dose units, PK/PD, regimen language."""
