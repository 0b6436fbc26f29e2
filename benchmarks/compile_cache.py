"""Benchmark: building templates whose source was compiled before (the compile cache).

Three workloads, each in a fresh process state for the engine's default search path:

- 1000 ``FewShotPrompt`` objects with the same layout and different examples;
- 100 ``load_prompt`` calls on the bundled ``sentiment.prompt``;
- ``recipes.pc_tiny.eval_suites(n=N)`` (every family, kind, shot count and wording).

It prints seconds and compiles for each, and the cache's hits and misses when the engine has
one, so the same script measures a checkout without the cache too::

    .venv/bin/python benchmarks/compile_cache.py [--suites-n 5]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from promptcraft.prompts import FewShotPrompt, load_prompt
from promptcraft.prompts.environment import get_environment
from promptcraft.utils.paths import bundled_templates_dir


def few_shot_prompts() -> None:
    for i in range(1000):
        examples = [{"input": f"review {i}", "output": "positive"}, {"input": "x", "output": "y"}]
        FewShotPrompt(examples, input_label="Review", output_label="Sentiment")


def prompt_files() -> None:
    path = bundled_templates_dir() / "sentiment.prompt"
    for _ in range(100):
        load_prompt(path)


def measure(name: str, fn: Callable[[], object]) -> str:
    env = get_environment()
    compiles = env.compile_count
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    cache = getattr(env, "compile_cache", None)
    return f"| {name} | {seconds:.2f} | {env.compile_count - compiles} | {cache or 'none'} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites-n", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/ is not installed
    from recipes.pc_tiny import eval_suites

    print(f"{platform.machine()}, Python {platform.python_version()}, one process")
    print("| workload | seconds | compiles | cache after |")
    print("| --- | ---: | ---: | --- |")
    print(measure("1000 FewShotPrompt, same layout", few_shot_prompts))
    print(measure("100 load_prompt(sentiment.prompt)", prompt_files))
    print(measure(f"eval_suites(n={args.suites_n})", lambda: eval_suites(n=args.suites_n)))


if __name__ == "__main__":
    main()
