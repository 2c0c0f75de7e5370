"""Application data: one database (SQLite by default, PostgreSQL in production) chosen by `CHIBA_DATABASE_URL`.

`storage.db` makes engines and sessions, `storage.models` holds the tables, `storage.repositories` the only code that
reads and writes them, `python -m storage.migrate` brings the schema to the newest revision.
"""
