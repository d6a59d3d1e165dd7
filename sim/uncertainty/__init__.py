"""What answers depend on that nobody knows: plausible ranges of the assumptions, and worlds drawn from them."""
