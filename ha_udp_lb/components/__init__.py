"""Pulumi components: thin shells that turn the core's model and rendering into resources."""
