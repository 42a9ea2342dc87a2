"""Submodels: small functions over numpy arrays, one mechanism per module."""
