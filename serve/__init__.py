"""The data API (`levelup serve`): read-only HTTP access to the published releases, in the shape of the ONS
Explore Local Statistics API v1.

Belongs here: the FastAPI application and everything only it uses: one release snapshot per request
(`snapshot`), what a release offers the API (`catalogue`, `geo`), the data query engine (`query`), the HTTP
conventions (`http`: ETags, CSV, pagination links; `problems`: application/problem+json), access tiers
(`auth`, `audit`) and the routes (`routes/`). It reads releases only; it never opens the warehouse and never
writes a release. Nothing here imports dashboards or orchestration.
"""
