"""spark-submit's application file: ``spark-submit [options] …/copytrace/cli/spark_submit.py
INPUTS… --out DIR [scan options]`` runs ``copytrace scan --engine spark``, its session
taking spark-submit's ``--master`` and ``--conf`` (docs/spark.md). ``python -m
copytrace.cli.spark_submit`` runs the same without spark-submit."""

import os
import sys

# Run as a file, this folder is first on the path, where its modules (compare, scan,
# serve…) would hide any top-level module of those names.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

from copytrace.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.argv = ["copytrace", "scan", *sys.argv[1:], "--engine", "spark"]
    main()
