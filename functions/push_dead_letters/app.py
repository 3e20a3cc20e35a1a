"""Lambda: mark the pushes that reached the dead-letter queue as failed."""

from hail.pushing import dead_letter_handler

handler = dead_letter_handler()
