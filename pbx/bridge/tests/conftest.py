"""Make ``hotline_pbx_bridge`` (../src) and the test helpers importable.

The project's runner sets PYTHONPATH=pbx/bridge/src; this also works without.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parent / "src", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
