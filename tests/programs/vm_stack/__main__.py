"""Stands in for a team's own VM stack (cloud instances, Proxmox VMs, bare metal from an inventory):
only its outputs, the hosts' management addresses, which `syslog_edge` reads through a StackReference.
Creates nothing."""

import pulumi

pulumi.export("managementAddresses", {"edge1": "198.19.0.11", "edge2": "198.19.0.12"})
