"""Repositories: queries over one session, returning the service's frozen records; one module
per repository (keys and authentication failures: persistence/credentials.py)."""
