"""Lambda: post queued pushes to the remote services (SQS batches, partial failures)."""

from hail.pushing import worker_handler

handler = worker_handler()
