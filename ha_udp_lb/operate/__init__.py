"""An operator's view of a deployed stack (`ha-udp-lb status`, `ha-udp-lb where`): what each node's
agent reports and what its live tables say, read over SSH with the stack's own key. The readings are
parsed and rendered by pure functions (readings, status_view, placement); reach does the I/O."""
