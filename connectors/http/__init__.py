"""HTTP plumbing every tracker connector (and the digest channels) share: the retry
policy, status → error mapping, issues to re-read, tracker timestamps.
"""
