"""Hail publications API: the shared layer (auth, errors, models, domain, data access)."""
