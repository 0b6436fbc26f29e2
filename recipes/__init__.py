"""How our own models are made: pc-tiny's curriculum and pretraining (:mod:`recipes.pc_tiny`)
and the SmolLM2 tool-use adapter (``smollm2_tool_use.py``). Not part of the promptcraft wheel:
run them from a checkout, as ``python -m recipes.pc_tiny`` or
``python recipes/smollm2_tool_use.py``.
"""
