"""The anthropic brain: Claude writes each design stage through the tool loop, gated as always."""
