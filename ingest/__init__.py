"""Ingest: fetch feeds from their public addresses (or the mirror), parse, check the contract, land in the raw zone."""
