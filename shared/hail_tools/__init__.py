"""Local tooling (not shipped to Lambda): the `hail` command, the local gateway and embedded AWS."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / ".local"
