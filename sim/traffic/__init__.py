"""Traffic simulator: what customer choice does to an ATM's cassettes, policy by policy."""
