"""The management API's pages that span domain apps (a customer with their loyalty cards).

It sits above customers, loyalty and orders and may import any of them; no domain app imports
it (the import-linter contract in pyproject.toml keeps it so).
"""
