"""Real hosts in the lab: Debian 12 and 13 booted with systemd as PID 1 (systemd-nspawn) in the lab's
node namespaces, reached over SSH, the program's ssh registrations carried out on them."""
