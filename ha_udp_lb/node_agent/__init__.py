"""The collector-health agent that runs on every LB node (stdlib only: a node has python3 and nothing
else of ours). It probes every backend of every pool, decides each one's health, and marks the dead
ones `down` in nginx's pool files, reloading nginx the hitless way.

Modules: `judge` (pure verdicts), `probes` (ICMP, UDP, TCP and HTTP on the wire), `pools` (nginx pool
files: marking, validating, reloading), `slots` (the kernel plane's slot table), `kernel` and
`kernel_plane` (its nftables maps), `netlink` (asking nftables without nft), `report` (state JSON,
metrics, log), `agent` (the loop)."""
