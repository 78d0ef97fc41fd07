"""Pure renderers: typed inputs in, config text out. Nothing here imports pulumi."""
