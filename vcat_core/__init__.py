"""vcat core library: ingest pipeline, catalog store and the service API."""
__version__ = "0.1.0"
