"""One logger, tracer and metrics for every handler (service name from POWERTOOLS_SERVICE_NAME)."""

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled


class _Metrics(Metrics):
    """Powertools' Metrics, except that with metrics disabled (POWERTOOLS_METRICS_DISABLED:
    `make run`, the tests, the benchmark) what an invocation added is dropped when it ends.
    Powertools keeps it then, and prints it as an EMF document anyway once a metric holds
    100 values, in the middle of `make run`'s log or `make bench`'s tables."""

    def log_metrics(
        self,
        lambda_handler: Any = None,
        capture_cold_start_metric: bool = False,
        raise_on_empty_metrics: bool = False,
        default_dimensions: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Callable[..., Any]:
        options: dict[str, Any] = {
            "capture_cold_start_metric": capture_cold_start_metric,
            "raise_on_empty_metrics": raise_on_empty_metrics,
            "default_dimensions": default_dimensions,
            **kwargs,
        }
        if lambda_handler is None:
            return functools.partial(self.log_metrics, **options)
        logged: Callable[..., Any] = super().log_metrics(lambda_handler, **options)

        @functools.wraps(lambda_handler)
        def handler(*args: Any, **kwargs: Any) -> Any:
            try:
                return logged(*args, **kwargs)
            finally:
                if is_metrics_disabled():
                    self.clear_metrics()

        return handler


logger = Logger()
tracer = Tracer()
# A namespace even when this module is imported before the environment is set (tests import
# it at collection time); without one, flushing metrics fails every handler.
metrics = _Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Hail")
