"""The data API's routes, one module per group: data (and provenance), metadata, geo, missions, releases, and
the cleared tier. Shared parameters and dependencies are in `common`."""
