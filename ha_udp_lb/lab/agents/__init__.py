"""What runs inside the lab's namespaces: the collectors' sink, the exporters, and their wire format."""
