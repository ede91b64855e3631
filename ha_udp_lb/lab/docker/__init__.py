"""The docker target on a real Docker engine: the program's recorded containers created, started and drilled."""
