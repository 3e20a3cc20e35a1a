"""One logger, tracer and metrics for every handler (service name from POWERTOOLS_SERVICE_NAME)."""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
# A namespace even when this module is imported before the environment is set (tests import
# it at collection time); without one, flushing metrics fails every handler.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Hail")
