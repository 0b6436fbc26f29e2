"""Helpers shared by the test folders: reference models, GGUF files, scripted backends and
servers, a served model on loopback, random prompts. Importable as ``support.<module>``
(``pythonpath = ["tests"]`` in pyproject.toml).
"""
