"""One module per feature: parse, call a service, render blocks, respond. The table of what
Alinea answers, and register(app), are in commands/registry.py."""
