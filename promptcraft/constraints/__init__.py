"""Constraints on what a model may write: choices, a regex or a JSON schema, the ``output:`` spec
that names them, and the token automaton that enforces them during decoding.

Below the template engine and the backends, so both use it; it imports only
:mod:`promptcraft.errors`, :mod:`promptcraft.types`, :mod:`promptcraft.utils` and the tokenizers.
"""
