"""Dashboards analysts build and share (issue 17): Plotly Dash pages over a published release.

Belongs here, module by module:
    release      which release a request reads (`releases/current` per request, or a retained one) and pooled
                 read-only DuckDB connections to it (plus the cleared release for the cleared role)
    catalogue    what pages describe: indicators (the `indicator_catalogue` mart, else the registry), mission
                 metrics (the dbt seed), geography levels and the area dimension
    blocks       renderer-neutral page content (charts with their data tables, tables, text) and its two
                 renderers: Dash components for the server, static HTML for the snapshots in a release
    spec         the declarative page format (`dashboards/pages/*.yml`) and loading the pages folder
    pagetypes/   the page types: the built-in ones written in Python (area profile, indicator explorer, mission
                 dashboards, custom areas) and the declarative one that runs a YAML page
    check        validation of every page against a release (fails naming the page, the query and the column)
    auth         the cleared role: hashed tokens, the sign-in cookie
    app          the Dash app: routing, filters in the URL, CSV downloads, security headers
    server       serving the app on 127.0.0.1 (a threaded WSGI server the CLI and the tests start and stop)
    static       the static snapshots of the mission pages written into a release (plotly.js included once)
    export       the release exporter (`export_dashboards`) that writes `releases/<id>/dashboards/`
Nothing here writes a release after it was promoted, or the warehouse.
"""
