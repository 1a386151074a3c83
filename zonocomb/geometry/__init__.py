"""Exact geometry: datasets, general position, arrangements, zonotopes and their powers."""
