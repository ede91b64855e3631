"""ha-udp-lb: a highly available UDP load balancer, as Pulumi components and the pure core they stand on.

Kept empty on purpose: this package's `node_agent` and `slot_table` ship to every node, which has the
standard library and nothing else."""
