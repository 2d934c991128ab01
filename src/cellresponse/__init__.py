"""cellresponse: predict how cancer cells respond to perturbations, and prove how good it is.

The top-level import is light: it loads no torch, RDKit or plotting code. Heavy pieces
are imported inside the functions that need them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cellresponse")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
