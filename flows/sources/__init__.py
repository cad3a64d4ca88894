"""The portal's two sources, one typed contract each (the layout of dlt's verified sources).

``flows.sources.v1`` — the 2026 JSON API; ``flows.sources.legacy`` — the ``rest.jsp`` gateway. Each
holds its settings (endpoints, page sizes, groups), its models and one entry point that turns a
capture into typed data. ``flows.sources.contract`` holds what both share: value types with the
domain's rules, schema drift, and how a failed parse is named.
"""
