"""Reusable step kinds; importing any of them registers the questions they need."""

from wizard.steps import questions as questions  # noqa: F401 - fills the question registry
