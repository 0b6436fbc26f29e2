"""Decode speed of promptcraft's local decoder, side by side with transformers.

Both run the very same weights (a random-init transformers model saved as a checkpoint and
loaded by promptcraft), on the same prompt, greedy, in one process, with interleaved
repeats so background load hits both alike. Decode tokens/s excludes prefill:
(n - 1) / (time for n new tokens - time for 1 new token).

The floor: decoding one token must read every weight once (plus the KV cache), so no
implementation can beat  bandwidth / bytes-per-token,  where bandwidth is measured here by a
large matrix-vector product over a copy of the same weights, in the memory layout and
dtype the engine uses.

    python benchmarks/decode_gpt2.py            # full run (a few minutes)
    python benchmarks/decode_gpt2.py --quick    # smaller counts, for a smoke test

Writes the table to benchmarks/results/decode_gpt2.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from machine import cpu_name

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from promptcraft.nn import Decoder, Generator, load_model  # noqa: E402
from promptcraft.tokenizers.tokenizer import GPT2_PATTERN, Tokenizer  # noqa: E402
from promptcraft.tokenizers.writers import save_tiktoken  # noqa: E402

PROMPT_TOKENS = 64
EOS = 256


@dataclass
class Row:
    name: str
    ours: str
    reference: str = ""
    ratio: str = ""
    goal: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer tokens and repeats")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--repeats", type=int, default=None, help="timing repeats (best of)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/decode_gpt2.md")
    parser.add_argument("--rss-probe", help=argparse.SUPPRESS)  # internal: child process
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    if args.rss_probe:
        _rss_probe(*args.rss_probe.split(":"))
        return

    new_tokens = 64 if args.quick else 256
    repeats = args.repeats or (2 if args.quick else 3)
    queries = 10 if args.quick else 50
    rows: list[Row] = []
    started = time.time()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory() as tmp:
        print("building models ...", flush=True)
        llama_dir = _checkpoint("llama", Path(tmp) / "llama")
        gpt2_dir = _checkpoint("gpt2", Path(tmp) / "gpt2")

        # --- small Llama, fp32 --------------------------------------------------------------
        hf = _hf_model(llama_dir)
        model, tokenizer = load_model(llama_dir)
        ours_rate, hf_rate = _compare(model, tokenizer, hf, new_tokens, repeats)
        rows.append(
            Row(
                "small Llama (6L, d=256, 8/4 heads, vocab 4096) fp32, batch 1",
                f"{ours_rate:.0f} tok/s",
                f"{hf_rate:.0f} tok/s",
                f"{ours_rate / hf_rate:.2f}x",
                ">= 2x",
            )
        )
        del hf, model

        # --- GPT-2 124M, fp32 and bf16 ------------------------------------------------------------
        hf = _hf_model(gpt2_dir)
        model, tokenizer = load_model(gpt2_dir)
        ours_rate, hf_rate = _compare(model, tokenizer, hf, new_tokens, repeats)
        rows.append(
            Row(
                "GPT-2 124M fp32, batch 1",
                f"{ours_rate:.1f} tok/s",
                f"{hf_rate:.1f} tok/s",
                f"{ours_rate / hf_rate:.2f}x",
                ">= 1.15x",
            )
        )
        floor, bandwidth = _floor(model, new_tokens)
        rows.append(
            Row(
                "GPT-2 124M fp32: floor (bytes/token at measured GEMV bandwidth)",
                f"{ours_rate:.1f} of {floor:.1f} tok/s ({bandwidth:.1f} GB/s)",
                "",
                f"{ours_rate / floor:.0%} of floor",
                ">= 85%",
            )
        )
        gemvs = _gemv_sequence_rate(model, repeats)
        rows.append(
            Row(
                "GPT-2 124M fp32: the model's own matrix-vector products alone, per token",
                f"{ours_rate:.1f} of {gemvs:.1f} tok/s",
                "",
                f"{ours_rate / gemvs:.0%}",
            )
        )
        hf_fp32_rate = hf_rate

        print("bf16 ...", flush=True)
        low, _ = load_model(gpt2_dir, dtype="bfloat16")
        low_rate = _decode_rate(_ours_runner(low, tokenizer), new_tokens, repeats)
        rows.append(
            Row(
                "GPT-2 124M bf16 (vs transformers fp32), batch 1",
                f"{low_rate:.1f} tok/s",
                f"{hf_fp32_rate:.1f} tok/s",
                f"{low_rate / hf_fp32_rate:.2f}x",
                ">= 2x",
            )
        )
        floor, bandwidth = _floor(low, new_tokens)
        rows.append(
            Row(
                "GPT-2 124M bf16: floor",
                f"{low_rate:.1f} of {floor:.1f} tok/s ({bandwidth:.1f} GB/s)",
                "",
                f"{low_rate / floor:.0%} of floor",
            )
        )
        del low, hf

        # --- KV cache vs none ---------------------------------------------------------------------
        print("no-cache decoding ...", flush=True)
        nocache_rate = _decode_rate(_nocache_runner(model), new_tokens, 1)
        rows.append(
            Row(
                f"GPT-2 fp32: KV cache vs full recompute, {new_tokens} new tokens",
                f"{ours_rate:.1f} vs {nocache_rate:.1f} tok/s",
                "",
                f"{ours_rate / nocache_rate:.1f}x",
            )
        )

        # --- batch 8 ----------------------------------------------------------------------------
        print("batch 8 ...", flush=True)
        batch_rate = _batch_rate(model, tokenizer, 8, new_tokens)
        rows.append(
            Row(
                f"GPT-2 fp32: batch 8 throughput ({new_tokens} new tokens each)",
                f"{batch_rate:.1f} tok/s",
                f"{ours_rate:.1f} tok/s at batch 1",
                f"{batch_rate / ours_rate:.1f}x",
            )
        )

        # --- prefix cache -----------------------------------------------------------------------
        print("prefix cache ...", flush=True)
        cold, warm, cached = _prefix_cache(model, tokenizer, queries)
        rows.append(
            Row(
                f"GPT-2 fp32: {queries} queries sharing a 400-token prefix (8 new tokens each)",
                f"{warm:.1f} s with reuse ({cached} prompt tokens from cache)",
                f"{cold:.1f} s without",
                f"{cold / warm:.1f}x",
            )
        )
        del model

        # --- memory -----------------------------------------------------------------------------
        print("peak RSS ...", flush=True)
        ours_rss = _child_rss("ours", gpt2_dir, new_tokens, args.threads)
        hf_rss = _child_rss("transformers", gpt2_dir, new_tokens, args.threads)
        rows.append(
            Row(
                f"GPT-2 fp32: peak RSS, load + generate {new_tokens} tokens",
                f"{ours_rss:.0f} MiB",
                f"{hf_rss:.0f} MiB",
                f"{ours_rss / hf_rss:.2f}x",
            )
        )

    report = _markdown(rows, args, load_before, time.time() - started)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written to {args.out}")


# --- models -------------------------------------------------------------------------------------


def _checkpoint(kind: str, path: Path) -> Path:
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    tokens = {"bos_token_id": EOS, "eos_token_id": EOS}
    if kind == "llama":
        config = LlamaConfig(
            vocab_size=4096,
            hidden_size=256,
            intermediate_size=768,
            num_hidden_layers=6,
            num_attention_heads=8,
            num_key_value_heads=4,
            max_position_embeddings=2048,
            **tokens,
        )
    else:
        config = GPT2Config(**tokens)  # GPT-2 small: 12 layers, d=768, 124M parameters
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    byte_level = Tokenizer.from_ranks(
        {bytes([b]): b for b in range(256)},
        pattern=GPT2_PATTERN,
        special_tokens={"<|endoftext|>": EOS},
        name="bytes",
    )
    save_tiktoken(byte_level, path)
    return path


def _hf_model(path: Path) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path).eval()


def _prompt(seed: int = 0, n: int = PROMPT_TOKENS) -> list[int]:
    return torch.randint(0, 256, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


# --- timing -------------------------------------------------------------------------------------

Runner = Callable[[int], float]  # new tokens -> seconds


def _ours_runner(model: Decoder, tokenizer: Tokenizer) -> Runner:
    generator = Generator(model, tokenizer)
    prompt = _prompt()

    def run(n: int) -> float:
        generator.reset_cache()  # no prefix reuse between repeats
        start = time.perf_counter()
        out = generator.generate(prompt, max_tokens=n, temperature=0, ignore_eos=True)
        elapsed = time.perf_counter() - start
        assert len(out.token_ids) == n
        return elapsed

    return run


def _hf_runner(hf: torch.nn.Module) -> Runner:
    ids = torch.tensor([_prompt()])

    def run(n: int) -> float:
        start = time.perf_counter()
        with torch.inference_mode():
            out = hf.generate(  # type: ignore[operator]
                ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0
            )
        elapsed = time.perf_counter() - start
        assert out.shape[1] == PROMPT_TOKENS + n
        return elapsed

    return run


def _nocache_runner(model: Decoder) -> Runner:
    """Greedy decoding the way a model without a KV cache must: the whole sequence again
    for every new token."""
    prompt = _prompt()

    def run(n: int) -> float:
        ids = torch.tensor([prompt])
        start = time.perf_counter()
        with torch.inference_mode():
            for _ in range(n):
                nxt = model(ids, last_only=True)[:, -1].argmax(-1, keepdim=True)
                ids = torch.cat([ids, nxt], dim=1)
        return time.perf_counter() - start

    return run


def _decode_rate(run: Runner, n: int, repeats: int) -> float:
    run(2)  # warm-up
    first = min(run(1) for _ in range(repeats))
    full = min(run(n) for _ in range(repeats))
    return (n - 1) / (full - first)


def _compare(
    model: Decoder, tokenizer: Tokenizer, hf: torch.nn.Module, n: int, repeats: int
) -> tuple[float, float]:
    """Decode rates of ours and transformers, repeats interleaved."""
    ours, theirs = _ours_runner(model, tokenizer), _hf_runner(hf)
    ours(2), theirs(2)
    ours_times: dict[int, list[float]] = {1: [], n: []}
    hf_times: dict[int, list[float]] = {1: [], n: []}
    for _ in range(repeats):
        for count in (1, n):
            ours_times[count].append(ours(count))
            hf_times[count].append(theirs(count))
    rate = lambda t: (n - 1) / (min(t[n]) - min(t[1]))  # noqa: E731
    return rate(ours_times), rate(hf_times)


def _batch_rate(model: Decoder, tokenizer: Tokenizer, batch: int, n: int) -> float:
    generator = Generator(model, tokenizer)
    prompts = [_prompt(seed=i) for i in range(batch)]
    generator.generate_batch(prompts, max_tokens=2, temperature=0, ignore_eos=True)
    times = {}
    for count in (1, n):
        generator.reset_cache()
        start = time.perf_counter()
        generator.generate_batch(prompts, max_tokens=count, temperature=0, ignore_eos=True)
        times[count] = time.perf_counter() - start
    return batch * (n - 1) / (times[n] - times[1])


def _prefix_cache(model: Decoder, tokenizer: Tokenizer, queries: int) -> tuple[float, float, int]:
    prefix = _prompt(seed=99, n=400)
    prompts = [prefix + _prompt(seed=1000 + i, n=12) for i in range(queries)]

    def run(reuse: bool) -> tuple[float, int]:
        generator = Generator(model, tokenizer)
        cached = 0
        start = time.perf_counter()
        for prompt in prompts:
            if not reuse:
                generator.reset_cache()
            out = generator.generate(prompt, max_tokens=8, temperature=0, ignore_eos=True)
            cached += out.usage.cached_prompt_tokens
        return time.perf_counter() - start, cached

    cold, _ = run(reuse=False)
    warm, cached = run(reuse=True)
    return cold, warm, cached


# --- floor --------------------------------------------------------------------------------------


def _floor(model: Decoder, new_tokens: int) -> tuple[float, float]:
    """(tokens/s ceiling, GB/s): bytes each decoded token must read, over the bandwidth of
    one large matrix-vector product across a copy of the same weights."""
    config = model.config
    size = model.dtype.itemsize
    read = 0
    for name, param in model.named_parameters():
        if name in ("tok_emb.weight", "pos_emb.weight") and not (
            name == "tok_emb.weight" and config.tie_word_embeddings
        ):
            read += param.shape[1] * size  # one row per token
        else:
            read += param.numel() * size
    mean_context = PROMPT_TOKENS + new_tokens / 2
    kv_row = 2 * config.n_layers * config.n_kv_heads * config.head_dim * size
    read += int(mean_context * kv_row)

    matrices = [p for p in model.parameters() if p.dim() == 2]
    flat = torch.cat([p.detach().reshape(-1) for p in matrices])
    dim = config.dim
    flat = flat[: flat.numel() // dim * dim]
    # The layout the engine gives each dtype (see Decoder.use_fast_layout).
    column_major = model.dtype == torch.float32
    matrix = flat.view(dim, -1).t() if column_major else flat.view(-1, dim)
    x = torch.randn(1, 1, dim, dtype=model.dtype)
    F.linear(x, matrix)
    best = min(_timed(lambda: F.linear(x, matrix)) for _ in range(10))
    bandwidth = matrix.numel() * size / best
    return bandwidth / read, bandwidth / 1e9


def _gemv_sequence_rate(model: Decoder, repeats: int) -> float:
    """Tokens/s if decoding did nothing but its projections' matrix-vector products, in
    order, with the engine's weights: what attention, norms and Python add is the rest."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    inputs = [torch.randn(1, 1, m.in_features, dtype=model.dtype) for m in linears]

    def one_token() -> None:
        for module, x in zip(linears, inputs, strict=True):
            F.linear(x, module.weight, module.bias)

    one_token()
    return 1.0 / min(_timed(one_token) for _ in range(5 * repeats))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- memory -------------------------------------------------------------------------------------


def _child_rss(which: str, path: Path, n: int, threads: int) -> float:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--threads",
            str(threads),
            "--rss-probe",
            f"{which}:{path}:{n}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _rss_probe(which: str, path: str, n: str) -> None:
    if which == "ours":
        model, tokenizer = load_model(path)
        _ours_runner(model, tokenizer)(int(n))
    else:
        _hf_runner(_hf_model(Path(path)))(int(n))
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) parent.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) / 1024)  # KiB -> MiB
            return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


# --- report -------------------------------------------------------------------------------------


def _markdown(rows: list[Row], args: argparse.Namespace, load: float, seconds: float) -> str:
    import transformers

    cpu = cpu_name()
    lines = [
        "# Decode benchmark",
        "",
        f"{datetime.date.today()} · {cpu}, {os.cpu_count()} cores · torch {torch.__version__}"
        f" · transformers {transformers.__version__} · {args.threads} threads"
        f" · {'quick' if args.quick else 'full'} run in {seconds:.0f} s"
        f" · load average {load:.1f} at start",
        "",
        f"Prompt {PROMPT_TOKENS} tokens, greedy, EOS ignored; random-init weights saved by "
        "transformers and loaded by promptcraft, so both run the same weights. Decode rates "
        "exclude prefill. Shared machine: other processes may have been running.",
        "",
        "| measurement | promptcraft | reference | ratio | goal |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {r.name} | {r.ours} | {r.reference} | {r.ratio} | {r.goal} |" for r in rows]
    lines += [
        "",
        "- *floor*: bytes one decoded token must read (every weight once, one embedding row, "
        "the KV cache at the mean context) over the bandwidth of one large matrix-vector "
        "product across a copy of the same weights, in the layout the engine uses.",
        "- *the model's own matrix-vector products alone*: the same projections, one after "
        "another, with nothing else; the gap to it is attention, norms, activations and Python.",
        "- Timings are best-of-repeats with promptcraft and transformers interleaved; on a "
        "shared 2-core machine, treat differences under ~10% as noise.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
