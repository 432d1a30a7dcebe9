#!/usr/bin/python3
"""Writes a LLaMA-shaped GGUF file of random f16 weights for llama.cpp.

The competitor's side of scripts/bench-llamacpp.sh: the shape of
scripts/make-llama.py's presets (TinyLlama-1.1B by default: vocabulary 32000,
hidden 2048, FFN 5632, 22 layers, 32 heads, 4 key/value heads), weights drawn
at random (speed does not depend on their values), and a vocabulary of
placeholder tokens (with SentencePiece's byte tokens, which llama.cpp looks
up at load). llama-quantize then turns it into TQ2_0, TQ1_0 or any other
type. Needs numpy and llama.cpp's gguf-py (PYTHONPATH=LLAMA_CPP/gguf-py).

  PYTHONPATH=/tmp/llamacpp/gguf-py /usr/bin/python3 scripts/make-gguf.py \\
      /tmp/tinyllama-f16.gguf
"""
import argparse
import sys

import numpy as np

PRESETS = {
    # vocab, hidden, ffn, layers, heads, kv_heads, context
    "tinyllama": (32000, 2048, 5632, 22, 32, 4, 2048),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .gguf file to write")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        default="tinyllama")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import gguf
    except ImportError:
        sys.exit("make-gguf: needs llama.cpp's gguf-py on PYTHONPATH "
                 "(PYTHONPATH=LLAMA_CPP/gguf-py)")

    vocab, hidden, ffn, layers, heads, kv_heads, context = PRESETS[args.preset]
    head_dim = hidden // heads
    rng = np.random.default_rng(args.seed)

    writer = gguf.GGUFWriter(args.out, "llama")
    writer.add_name(f"tern-{args.preset}-random")
    writer.add_context_length(context)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_rope_dimension_count(head_dim)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    # <unk>, <s>, </s>, the 256 byte tokens, then placeholders.
    tokens = [b"<unk>", b"<s>", b"</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL,
             gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>".encode() for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    rest = vocab - len(tokens)
    if rest < 0:
        sys.exit(f"make-gguf: a vocabulary of {vocab} cannot hold the 259 "
                 "special and byte tokens")
    tokens += [f"\u2581t{i}".encode() for i in range(rest)]
    types += [gguf.TokenType.NORMAL] * rest
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(vocab)])
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)

    def weight(rows, cols):
        return (rng.standard_normal((rows, cols), dtype=np.float32)
                * np.float32(cols ** -0.5)).astype(np.float16)

    def norm():
        return np.ones(hidden, dtype=np.float32)

    writer.add_tensor("token_embd.weight", weight(vocab, hidden))
    for i in range(layers):
        block = f"blk.{i}."
        writer.add_tensor(block + "attn_norm.weight", norm())
        writer.add_tensor(block + "attn_q.weight", weight(hidden, hidden))
        writer.add_tensor(block + "attn_k.weight",
                          weight(kv_heads * head_dim, hidden))
        writer.add_tensor(block + "attn_v.weight",
                          weight(kv_heads * head_dim, hidden))
        writer.add_tensor(block + "attn_output.weight", weight(hidden, hidden))
        writer.add_tensor(block + "ffn_norm.weight", norm())
        writer.add_tensor(block + "ffn_gate.weight", weight(ffn, hidden))
        writer.add_tensor(block + "ffn_up.weight", weight(ffn, hidden))
        writer.add_tensor(block + "ffn_down.weight", weight(hidden, ffn))
    writer.add_tensor("output_norm.weight", norm())
    writer.add_tensor("output.weight", weight(vocab, hidden))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
