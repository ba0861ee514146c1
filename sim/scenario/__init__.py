"""The scenario: schema, units, distributions, sources, and loading YAML files into it."""
