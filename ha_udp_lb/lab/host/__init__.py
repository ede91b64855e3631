"""The lab's host plumbing: namespaces, node sandboxes and their init, bring-up and teardown, state, status."""
