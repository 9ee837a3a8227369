"""Imports every command module so that each registers its commands on the app."""
from copytrace.cli import evaluate  # noqa: E402,F401
from copytrace.cli import scan  # noqa: E402,F401
from copytrace.cli import compare  # noqa: E402,F401
from copytrace.cli import archive  # noqa: E402,F401
from copytrace.cli import serve  # noqa: E402,F401
from copytrace.cli import spark  # noqa: E402,F401
from copytrace.cli import dedup  # noqa: E402,F401
