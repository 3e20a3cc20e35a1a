"""`make bench`: what the endpoints and the push worker cost (see docs/performance.md)."""

import os
from pathlib import Path


def local_environment(keys_dir: Path, log_level: str = "WARNING") -> None:
    """Fake AWS credentials, quiet Powertools, and a throwaway token key pair."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL=log_level,
        POWERTOOLS_TRACE_DISABLED="true",
        HAIL_KEYS_DIR=str(keys_dir),
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
