"""The routed lab for `routing: bgp`: a router namespace running FRR with ECMP in front of the nodes,
exporters behind it, collectors beyond it; and the drills that fail nodes under it."""
