"""Use the bundled template library, count tokens, and lint a broken template.

Run: python examples/library_and_lint.py
"""

import tempfile
from pathlib import Path

import promptcraft as pc

library = pc.PromptLibrary()
summarize = library.get("summarize")
inputs = {"text": "The council voted to extend the library's opening hours to 9 pm."}
print(summarize.render(**inputs))
print("tokens (cl100k_base):", summarize.count_tokens("cl100k_base", **inputs))

with tempfile.TemporaryDirectory() as folder:
    broken = Path(folder) / "broken.prompt"
    broken.write_text(
        "---\nname: broken\ninputs:\n  topic: str\n---\nWrite about {{ topik }}.\n",
        encoding="utf-8",
    )
    problems = pc.lint_paths([broken])
    for problem in problems:
        print(problem)
    assert any("topik" in p.message for p in problems)
