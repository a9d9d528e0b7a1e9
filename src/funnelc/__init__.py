"""funnelc: a compiler, linter and simulator for CRM sales funnels written as text.

The public API is small: `load()` a file into the typed model with its diagnostics;
the CLI (`funnelc`) only wraps it. Heavy parts (simulation, plots, exports) live in
subpackages and are imported only when used, so `import funnelc` stays fast.
"""

from __future__ import annotations

from .api import Loaded, load, load_bytes, load_file, load_text
from .diagnostics import Diagnostic, Severity

__version__ = "0.1.0"

__all__ = ["__version__", "load", "load_text", "load_file", "load_bytes", "Loaded",
           "Diagnostic", "Severity"]
