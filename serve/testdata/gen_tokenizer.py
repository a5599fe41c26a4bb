# Writes tokenizer.json and tokenizer_config.json for the serve tests: a
# byte-level BPE of 297 tokens (256 bytes, 41 merges) plus <|endoftext|>,
# <|im_start|> and <|im_end|> at ids 297-299, to sit next to the 300-token
# random-weight model of hf/testdata/qwen3-f32. Run: python3 gen_tokenizer.py
import json

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))

b2u = bytes_to_unicode()
vocab = {b2u[b]: b for b in range(256)}
pairs = ["Ġ t", "h e", "Ġ a", "i n", "Ġt he", "e r", "o n", "Ġ s", "r e", "a t", "e n", "Ġ w", "o r", "Ġ o", "i s",
         "Ġ c", "a n", "e s", "Ġ b", "Ġ f", "i t", "Ġ m", "a l", "Ġ p", "a r", "Ġ h", "Ġ d", "l l", "o u", "Ġ i",
         "e d", "Ġ l", "i c", "Ġ n", "o m", "Ġ e", "s t", "Ġ g", "l e", "Ġ y", "Ġy ou"]
merges = []
for p in pairs:
    a, b = p.split(" ")
    assert a in vocab and b in vocab, p
    vocab[a + b] = len(vocab)
    merges.append(p)
assert len(vocab) == 297, len(vocab)
specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
added = [{"id": 297 + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False, "special": True} for i, s in enumerate(specials)]
tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
       "normalizer": None,
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
       "post_processor": None,
       "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                 "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": merges}}
json.dump(tok, open("tokenizer.json", "w"), ensure_ascii=False, indent=1)
tpl = json.load(open("../../hf/testdata/chat/qwen3/tokenizer_config.json"))["chat_template"]
json.dump({"chat_template": tpl, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
          open("tokenizer_config.json", "w"), ensure_ascii=False, indent=1)
