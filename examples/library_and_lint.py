"""Use the bundled template library, count tokens, and lint a broken template.

Run: python examples/library_and_lint.py
"""

import tempfile
from pathlib import Path

import promptcraft as pc

library = pc.PromptLibrary()
proofread = library.get("proofread")
inputs = {"text": "The council have voted to extend the librarys opening hours."}
print(proofread.render(**inputs))
print("tokens (cl100k_base):", proofread.count_tokens("cl100k_base", **inputs))
# a chat template renders to role-tagged messages
summarize = library.get("summarize")
for message in summarize.render_messages(text="The council voted to open the library until 9 pm."):
    print(message.role, "|", " ".join(message.content.split())[:70])

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
