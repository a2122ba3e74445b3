"""What both sandbox trackers share: seeds, faults, control API, outgoing webhooks."""
