"""Linewright: a language server that puts a code language model to work in any editor."""

__version__ = "0.1.0"
