"""Small helpers shared by several layers: JSON Lines, lazy package exports, regex scanning,
name suggestions, thread settings, the GGUF header reader and the bundled paths.

Everything here imports only the standard library and :mod:`promptcraft.errors`.
"""
