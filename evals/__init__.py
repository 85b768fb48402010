"""Eval cases, graders and the runner that scores a brain against them."""
