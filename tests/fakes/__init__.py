"""Local stand-ins for the remote services pushes go to (tests only)."""
