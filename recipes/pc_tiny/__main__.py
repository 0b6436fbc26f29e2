"""``python -m recipes.pc_tiny``: train pc-tiny (the same as ``python -m recipes.pc_tiny.recipe``;
see :mod:`.recipe` for the stages and ``--help`` for the options)."""

from .recipe import main

main()
