"""``python -m recipes.pc_tiny``: train pc-tiny (``--help`` explains the stages and options;
:mod:`.recipe` holds them, and ``python -m recipes.pc_tiny.recipe`` is the same command)."""

from .recipe import main

if __name__ == "__main__":
    main()
