"""Lambda: finish the clean-up jobs deletions left (on a schedule)."""

from hail.housekeeping import handler as make_handler

handler = make_handler()
