"""Evaluation: PAN text-alignment measures and harness, derivation levels on the
Clough-Stevenson short-answer corpus."""
