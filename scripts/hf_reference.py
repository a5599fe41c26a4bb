#!/usr/bin/python3
"""Independent float64 reference for hf/ parity tests.

Creates small random-weight Hugging Face model directories (Llama with
llama3 and linear rope scaling, Qwen2 with q/k/v biases, Qwen3 with q/k
norms and head_dim != hidden/heads; tied and untied heads), saved as
safetensors in F32 and BF16, and writes the log-probs of a few id
sequences computed in float64 from the weights as stored.

The equations are written from transformers' modeling_llama.py,
modeling_qwen2.py and modeling_qwen3.py (RMSNorm, rotate_half rotary
embedding, rope_scaling "linear"/"llama3" from modeling_rope_utils.py,
grouped-query attention with scaling head_dim**-0.5, SwiGLU MLP); it does
not use transformers. Needs Debian's python3-torch (/usr/bin/python3).

    /usr/bin/python3 scripts/hf_reference.py hf/testdata
"""
import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)


def inv_freq(cfg):
    hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg["rope_theta"]
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = cfg.get("rope_scaling")
    if rs:
        t = rs.get("rope_type", rs.get("type"))
        if t == "linear":
            inv = inv / rs["factor"]
        elif t == "llama3":  # _compute_llama3_parameters
            factor = rs["factor"]
            low, high = rs["low_freq_factor"], rs["high_freq_factor"]
            old = rs["original_max_position_embeddings"]
            low_wavelen, high_wavelen = old / low, old / high
            wavelen = 2 * math.pi / inv
            inv_l = torch.where(wavelen > low_wavelen, inv / factor, inv)
            smooth = (old / wavelen - low) / (high - low)
            smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
            medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
            inv = torch.where(medium, smoothed, inv_l)
        elif t != "default":
            raise ValueError(t)
    return inv


def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, W, ids):
    """log-softmax over the vocabulary at every position [T, V]."""
    mt = cfg["model_type"]
    H, KVH = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    pos = torch.arange(T, dtype=torch.float64)
    freqs = pos[:, None] * inv_freq(cfg)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]  # [T, 1, hd]
    mask = torch.full((T, T), -math.inf).triu(1)

    def lin(name, inp):
        y = inp @ W[name + ".weight"].T
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        return y

    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, W[p + "input_layernorm.weight"], eps)
        q = lin(p + "self_attn.q_proj", h).view(T, H, hd)
        k = lin(p + "self_attn.k_proj", h).view(T, KVH, hd)
        v = lin(p + "self_attn.v_proj", h).view(T, KVH, hd)
        if mt == "qwen3":
            q = rms(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms(k, W[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KVH
        k = k.repeat_interleave(rep, dim=1)  # repeat_kv
        v = v.repeat_interleave(rep, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) * hd ** -0.5 + mask
        a = torch.softmax(s, dim=-1)
        o = torch.einsum("hts,shd->thd", a, v).reshape(T, H * hd)
        x = x + lin(p + "self_attn.o_proj", o)
        h = rms(x, W[p + "post_attention_layernorm.weight"], eps)
        g = lin(p + "mlp.gate_proj", h)
        x = x + lin(p + "mlp.down_proj", torch.nn.functional.silu(g) * lin(p + "mlp.up_proj", h))
    x = rms(x, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return torch.log_softmax(x @ head.T, dim=-1)


def make_weights(cfg, gen):
    d, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, KVH = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or d // H
    mt = cfg["model_type"]
    bias_qkv = mt == "qwen2" or cfg.get("attention_bias", False)
    bias_o = mt != "qwen2" and cfg.get("attention_bias", False)
    W = {}

    def normal(*shape, std=1.0):
        return torch.randn(*shape, generator=gen) * std

    def gain(n):
        return 1 + 0.2 * normal(n)

    W["model.embed_tokens.weight"] = normal(V, d)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        W[p + "input_layernorm.weight"] = gain(d)
        W[p + "self_attn.q_proj.weight"] = normal(H * hd, d, std=d ** -0.5 * 1.5)
        W[p + "self_attn.k_proj.weight"] = normal(KVH * hd, d, std=d ** -0.5 * 1.5)
        W[p + "self_attn.v_proj.weight"] = normal(KVH * hd, d, std=d ** -0.5)
        W[p + "self_attn.o_proj.weight"] = normal(d, H * hd, std=(H * hd) ** -0.5)
        if bias_qkv:
            W[p + "self_attn.q_proj.bias"] = normal(H * hd, std=0.5)
            W[p + "self_attn.k_proj.bias"] = normal(KVH * hd, std=0.5)
            W[p + "self_attn.v_proj.bias"] = normal(KVH * hd, std=0.2)
        if bias_o:
            W[p + "self_attn.o_proj.bias"] = normal(d, std=0.2)
        if mt == "qwen3":
            W[p + "self_attn.q_norm.weight"] = gain(hd)
            W[p + "self_attn.k_norm.weight"] = gain(hd)
        W[p + "post_attention_layernorm.weight"] = gain(d)
        W[p + "mlp.gate_proj.weight"] = normal(f, d, std=d ** -0.5)
        W[p + "mlp.up_proj.weight"] = normal(f, d, std=d ** -0.5)
        W[p + "mlp.down_proj.weight"] = normal(d, f, std=f ** -0.5)
    W["model.norm.weight"] = gain(d)
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = normal(V, d, std=d ** -0.5 * 3)
    else:  # a tied head reads the embedding: scale it so logits spread
        W["model.embed_tokens.weight"] *= 0.4
    return W


def bf16_round(t):
    return t.to(torch.float32).to(torch.bfloat16).to(torch.float64)


def save_safetensors(path, W, dtype):
    """The safetensors layout written by hand: u64 header length, JSON
    header (dtype, shape, data_offsets), little-endian data."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(W):
        t = W[name]
        if dtype == "F32":
            b = t.to(torch.float32).contiguous().numpy().tobytes()
        else:
            b = t.to(torch.float32).to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(hj)))
        fh.write(hj)
        for b in blobs:
            fh.write(b)


def byte_level_tokenizer(vocab_size):
    """A small GPT-2 style byte-level BPE tokenizer.json (256 byte tokens,
    merges up to vocab_size - 2, two special tokens) for the CLI test."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_char = {b: chr(c) for b, c in zip(bs, cs)}
    vocab = {byte_char[b]: i for i, b in enumerate(range(256))}
    merges = []
    pairs = [("h", "e"), ("l", "l"), ("ll", "o"), ("Ġ", "t"), ("Ġ", "w"), ("o", "r"), ("i", "n"), ("e", "r"), ("Ġt", "he"), ("Ġw", "or")]
    for a, b in pairs:
        if len(vocab) >= vocab_size - 2:
            break
        merges.append(a + " " + b)
        vocab[a + b] = len(vocab)
    bos, eos = len(vocab), len(vocab) + 1
    added = [{"id": bos, "content": "<|bos|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
             {"id": eos, "content": "<|eos|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}]
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [bos], "tokens": ["<|bos|>"]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": merges},
    }
    return tok, bos, eos


def architectures():
    base = dict(vocab_size=300, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, hidden_act="silu", max_position_embeddings=64,
                rms_norm_eps=1e-5, initializer_range=0.02, use_cache=True, bos_token_id=298, eos_token_id=299)
    return {
        "llama3": dict(base, architectures=["LlamaForCausalLM"], model_type="llama", rope_theta=10000.0,
                       tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
                       rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                         original_max_position_embeddings=32)),
        "llama_bias_linear_tied": dict(base, architectures=["LlamaForCausalLM"], model_type="llama", rope_theta=500.0,
                                       tie_word_embeddings=True, attention_bias=True, mlp_bias=False,
                                       rope_scaling=dict(type="linear", factor=2.0)),
        "qwen2": dict(base, architectures=["Qwen2ForCausalLM"], model_type="qwen2", rope_theta=1000000.0,
                      tie_word_embeddings=True, use_sliding_window=False, sliding_window=None, max_window_layers=2,
                      rope_scaling=None),
        "qwen3": dict(base, architectures=["Qwen3ForCausalLM"], model_type="qwen3", rope_theta=1000000.0, head_dim=24,
                      tie_word_embeddings=False, attention_bias=False, use_sliding_window=False, rope_scaling=None),
    }


def sequences(gen):
    out = []
    for T in (2, 9, 33, 64):
        out.append(torch.randint(0, 300, (T,), generator=gen).tolist())
    return out


def main(root):
    gen = torch.Generator().manual_seed(20261201)
    seqs = sequences(gen)
    tok, bos, eos = byte_level_tokenizer(300)
    for name, cfg in architectures().items():
        W = make_weights(cfg, gen)
        for dtype in ("F32", "BF16"):
            d = os.path.join(root, f"{name}-{dtype.lower()}")
            os.makedirs(d, exist_ok=True)
            c = dict(cfg, torch_dtype="float32" if dtype == "F32" else "bfloat16")
            with open(os.path.join(d, "config.json"), "w") as fh:
                json.dump(c, fh, indent=2)
            save_safetensors(os.path.join(d, "model.safetensors"), W, dtype)
            Ws = {k: (v if dtype == "F32" else bf16_round(v)) for k, v in W.items()}
            if dtype == "F32":
                Ws = {k: v.to(torch.float32).to(torch.float64) for k, v in Ws.items()}
            ref = []
            for ids in seqs:
                lp = forward(cfg, Ws, ids)
                ref.append({"ids": ids, "logprobs": [lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]})
            with open(os.path.join(d, "reference.json"), "w") as fh:
                json.dump({"architecture": name, "dtype": dtype, "sequences": ref}, fh)
            if name == "qwen2" and dtype == "F32":
                with open(os.path.join(d, "tokenizer.json"), "w") as fh:
                    json.dump(tok, fh)
                with open(os.path.join(d, "generation_config.json"), "w") as fh:
                    json.dump({"bos_token_id": bos, "eos_token_id": [eos], "do_sample": True, "temperature": 0.7, "top_p": 0.8}, fh)
            print(d, sum(v.numel() for v in W.values()), "parameters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hf/testdata")
