"""copytrace: find reused text in news.

Stages, each a module of pure functions over batches:
ingest → text → candidates → align → compare → provenance → store → front ends.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__version__ = "0.1.0"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _private(folder: str) -> bool:
    """Whether ``folder`` is (made if missing) this user's alone: a folder another user
    made or can write could hold compiled kernels (pickles) planted there."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    status = os.lstat(folder)
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and not status.st_mode & 0o022


def kernel_cache_folder() -> str | None:
    """Where numba keeps the compiled kernels: beside their source or in the user's cache
    folder, as numba chooses; where neither can be written (a system-wide install run by
    a user without a writable home), numba refuses to load the modules at all, even for
    ``--version``, so they go to a folder of this user's under the temporary one (a new
    one each run, compiling again, where that name is taken by someone else)."""
    from numba.core import config
    from numba.misc.appdirs import AppDirs

    if not config.CACHE_DIR and not any(_writable(folder) for folder in (
            Path(__file__).parent / "__pycache__", Path(AppDirs(appname="numba", appauthor=False).user_cache_dir))):
        shared = os.path.join(tempfile.gettempdir(), f"copytrace-numba-cache-{os.getuid()}")
        config.CACHE_DIR = shared if _private(shared) else tempfile.mkdtemp(prefix="copytrace-numba-cache-")
    return config.CACHE_DIR or None


kernel_cache_folder()


def __getattr__(name: str):
    """``copytrace.scan`` and ``copytrace.open_store``, imported on first use so that
    ``import copytrace`` stays light."""
    if name == "scan":
        from copytrace.engine import scan

        return scan
    if name == "open_store":
        from copytrace.store import open_store

        return open_store
    raise AttributeError(f"module 'copytrace' has no attribute {name!r}")

# Imported eagerly: the function must replace the subpackage attribute `copytrace.compare`.
from copytrace.align import DEFAULT_CONFIG, AlignConfig  # noqa: E402
from copytrace.compare import Comparison, compare  # noqa: E402,F401


def compare_files(
    path_a: str | os.PathLike, path_b: str | os.PathLike, config: AlignConfig = DEFAULT_CONFIG
) -> Comparison:
    """Compare two article files (.txt, or .jsonl/.csv/.parquet holding one record), as
    ``copytrace compare A B`` does; :func:`compare` takes texts (``str``) and documents."""
    return compare(Path(path_a), Path(path_b), config)
