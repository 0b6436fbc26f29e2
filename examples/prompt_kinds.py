"""The four prompt kinds and chat, as Python objects, on one small task.

Run: python examples/prompt_kinds.py
"""

import promptcraft as pc

EXAMPLES = [
    {"input": "dog cat bird", "output": "bird cat dog"},
    {"input": "red green", "output": "green red"},
    {"input": "one two three four", "output": "four three two one"},
]

prompts = {
    "prefix": pc.PrefixPrompt(
        "Reverse the order of the words.", input_label="Words", output_label="Reversed"
    ),
    "few_shot": pc.FewShotPrompt(EXAMPLES),
    "hybrid": pc.HybridPrompt("Reverse the order of the words.", EXAMPLES),
}

for kind, prompt in prompts.items():
    print(f"--- {kind} ---")
    print(prompt.render(input="sun moon stars"))

# reverse: shown an output, the model is asked for the input that produced it
print("--- reverse ---")
print(
    prompts["hybrid"]
    .reverse("Give the words before they were reversed.")
    .render(output="stars moon sun")
)

print("--- chat ---")
chat = pc.ChatPrompt("Reverse the order of the words.", examples=EXAMPLES)
for message in chat.render_messages(input="sun moon stars"):
    print(f"{message.role:>9}: {message.content}")
