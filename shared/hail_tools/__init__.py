"""Local tooling (not shipped to Lambda): the `hail` command, the local gateway and embedded AWS."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Keys and the running server's endpoint; HAIL_LOCAL_DIR moves them (tests run servers of
# their own beside a developer's `make run`).
LOCAL_DIR = Path(os.environ.get("HAIL_LOCAL_DIR") or REPO_ROOT / ".local")
