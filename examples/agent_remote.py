"""An agent against any OpenAI-compatible server, through OpenAIBackend.

    python examples/agent_remote.py                                  # starts `promptcraft serve`
    python examples/agent_remote.py http://localhost:8000/v1 --model llama3
    PROMPTCRAFT_AGENT_URL=https://api.openai.com/v1 PROMPTCRAFT_AGENT_MODEL=gpt-4o-mini \\
        OPENAI_API_KEY=... python examples/agent_remote.py

With no URL it starts `promptcraft serve --model pc-tiny` on a free loopback port and stops it
at the end, so it runs offline. The agent offers the tools as native tool calls;
`promptcraft serve` refuses `tools`, so the agent falls back to the text protocol over
/v1/completions, which pc-tiny was trained on. A server with native tool calls (OpenAI,
vLLM, llama.cpp, Ollama) keeps the native protocol.
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

import promptcraft as pc
from promptcraft.agents import Agent, AgentError, calculator, lookup


@contextlib.contextmanager
def promptcraft_serve() -> Iterator[tuple[str, str]]:
    """Run `promptcraft serve` (pc-tiny) on a free port; yield (base URL, model)."""
    command = [sys.executable, "-m", "promptcraft", "serve", "--model", "pc-tiny"]
    command += ["--port", "0", "--threads", "2"]
    command += ["--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "promptcraft serve: MODEL at URL"
        found = re.search(r"promptcraft serve: (\S+) at (\S+)", line)
        if not found:
            raise RuntimeError(f"promptcraft serve did not start: {line!r}")
        model, url = found.groups()
        for _ in range(200):  # the socket is bound; wait until the app answers
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url.removesuffix("/v1") + "/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        yield url, model
    finally:
        process.terminate()
        process.wait(timeout=20)


def run_agent(url: str, model: str, api_key: str | None) -> None:
    backend = pc.load_backend(url, model=model, api_key=api_key)
    prices = lookup({"pen": 4, "cup": 3}, description="look up a price or an age by its key")
    agent = Agent(backend, tools=[calculator, prices], max_steps=6)
    for question in [
        "A box holds 12 apples. Tom buys 3 boxes and gives away 5 apples. "
        "How many apples does Tom have left?",
        "How much do 6 cups cost?",
    ]:
        print(f"Q: {question}")
        try:
            result = agent.run(question)
        except AgentError as error:
            print(f"   no answer ({error.reason}) after {len(error.steps)} steps")
            continue
        for step in result.steps:
            for call, observation in zip(step.tool_calls, step.tool_results, strict=True):
                print(
                    f"   [{step.protocol}] {call.name}({call.arguments}) -> {observation.content}"
                )
        print(
            f"A: {result.output}   [{len(result.steps)} steps, {result.usage.total_tokens} tokens]"
        )
    backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("PROMPTCRAFT_AGENT_URL"))
    parser.add_argument("--model", default=os.environ.get("PROMPTCRAFT_AGENT_MODEL"))
    parser.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="environment variable with the API key"
    )
    args = parser.parse_args()
    if args.url:
        if not args.model:
            parser.error("a URL needs --model (or PROMPTCRAFT_AGENT_MODEL)")
        run_agent(args.url, args.model, os.environ.get(args.api_key_env))
        return
    with promptcraft_serve() as (url, model):
        print(f"started promptcraft serve: {model} at {url}")
        run_agent(url, model, None)


if __name__ == "__main__":
    main()
