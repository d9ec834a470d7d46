"""The web dashboard (issue #19): Starlette app, login and sessions, one module of views per group.

Served from the collector process (`netcensus serve --ui HOST:PORT`) or read-only over a file
(`netcensus ui --db FILE`). Pages are server-rendered from the state the collector keeps
materialised (collector/store/dashboard.py) and the asset/changes documents of
collector/inventory/; htmx and uPlot are vendored under static/ and nothing loads from elsewhere.
"""
