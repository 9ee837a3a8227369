"""Imports every command module so that each registers its commands on the app."""
from copytrace.cli import evaluate  # noqa: E402,F401
