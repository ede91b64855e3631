"""What counts as the daemons complaining about a configuration: keepalived --config-test exits 0 while
printing that it dropped or distrusts a setting, and nginx -t can warn. One definition, used by the
apply script on every node (it refuses to go live) and by the tests that judge rendered files."""

COMPLAINT = (
    r"SECURITY VIOLATION|Ignoring|Unknown keyword|WARNING|Warning|[Ee]rror|Disabling|Truncating|invalid"
    r"|outside range|must match|not found|\[(emerg|alert|crit|error|warn)\]"
)
"""An extended regular expression (grep -E and Python re agree on it); no single quote, so a shell can quote it."""
