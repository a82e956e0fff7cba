"""Storage: SQLAlchemy 2 tables (``tables/``, by area), the engine and the one commit (``db.py``),
the HMAC hash-chained audit trail (``audit.py``), Alembic migrations shipped in the package
(``migrations/``, ``migrate.py``) and backups (``backup.py``)."""
