"""A script blocked in a call when Ctrl-C comes (tests/sync/test_threads.py drives it).

``python interrupted.py SETTINGS_JSON``: connects to the Twilio emulator the settings reach,
prints ``calling`` and searches (the emulator holds the answer back); on KeyboardInterrupt
prints ``interrupted SECONDS``, waits for a line on stdin, searches again and prints ``usable N``.
"""

from __future__ import annotations

import json
import sys
import time

from numbers_core import sync

with sync.connect("twilio", **json.loads(sys.argv[1])) as carrier:
    print("calling", flush=True)
    started = time.monotonic()
    try:
        carrier.search(area_code="415", limit=1)
    except KeyboardInterrupt:
        print("interrupted", f"{time.monotonic() - started:.3f}", flush=True)
    else:
        sys.exit("the call was not interrupted")
    sys.stdin.readline()
    print("usable", len(carrier.search(area_code="415", limit=3)), flush=True)
