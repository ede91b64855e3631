"""The lab: a stack's real keepalived and nginx in network namespaces on this machine."""
