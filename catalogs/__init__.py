"""Catalog manifests (one YAML per catalog), loaders for public data sets, and bundled data."""
