"""One node per design stage; each reads the state and returns only what it changes."""
