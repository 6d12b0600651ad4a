"""Extractors: each reads one kind of source and yields plain records or frames; none touches the database."""
