"""Chokepoint ETL: sources -> transform -> validate -> load into SQLite or any SQLAlchemy database."""
