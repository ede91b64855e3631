"""The Pulumi program run with no CLI or engine: a stack file read as Pulumi reads it, every
registration recorded by a mock monitor, and what each node would receive written out (synth)."""
