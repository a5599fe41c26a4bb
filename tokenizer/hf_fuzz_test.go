package tokenizer

import (
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// FuzzParseHF loads arbitrary tokenizer.json bytes: an error is fine, a
// panic or hang is not; whatever loads must encode and decode.
func FuzzParseHF(f *testing.F) {
	f.Add(tinyJSON(f, nil, nil))
	f.Add(tinyJSON(f, map[string]any{
		"normalizer":     map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "NFKC"}, map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": "a+"}, "content": "b"}}},
		"pre_tokenizer":  map[string]any{"type": "Split", "pattern": map[string]any{"Regex": llama3Pattern}, "behavior": "MergedWithNext", "invert": true},
		"post_processor": map[string]any{"type": "RobertaProcessing", "cls": []any{"<s>", 1}, "sep": []any{"</s>", 2}},
		"decoder":        map[string]any{"type": "Strip", "content": "a", "start": 3, "stop": 9},
	}, map[string]any{"merges": [][]string{{"a", "b"}}, "byte_fallback": true, "fuse_unk": true}))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": 5, "content": "a", "lstrip": true, "rstrip": true, "single_word": true}]}`))
	f.Add([]byte(`{"model": {"vocab": {"a": 4294967295}, "merges": ["a a"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseHF(data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "ab c", "<s>a</s>", " \n\t1234 é😀"} {
			ids, err := tok.Encode(s)
			if err != nil {
				continue
			}
			_ = tok.Decode(ids)
			_ = tok.DecodeWith(append(ids, -1, 1<<30), true)
		}
	})
}

// FuzzHFEncode encodes arbitrary text with a byte-level Llama-3-style
// pipeline (no panic, decode round trip for valid UTF-8) and checks the
// hand-written split matchers against regexp2.
func FuzzHFEncode(f *testing.F) {
	for _, s := range []string{"", "Hello  world\n\n", "It's 1234567 ü 👩‍👩‍👧", "<s>x</s>", "\xff\xfe", "\r\n \t"} {
		f.Add(s)
	}
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[byteChars[b]] = b
	}
	vocab["ĠĠ"] = 256
	vocab["<s>"] = 257
	tok, err := ParseHF(tinyJSON(f, map[string]any{
		"added_tokens":  []any{map[string]any{"id": 257, "content": "<s>", "special": true, "normalized": false}},
		"normalizer":    map[string]any{"type": "NFC"},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{map[string]any{"type": "Split", "pattern": map[string]any{"Regex": llama3Pattern}, "behavior": "Isolated"}, map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}},
		"decoder":       map[string]any{"type": "ByteLevel"},
	}, map[string]any{"vocab": vocab, "merges": []string{"Ġ Ġ"}, "unk_token": nil}))
	if err != nil {
		f.Fatal(err)
	}
	regexes := map[string]*regexMatcher{}
	for _, src := range []string{gpt2Pattern, llama3Pattern, qwenPattern} {
		if regexes[src], err = compileRegex(src); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		v := validUTF8(s)
		if got, want := tok.Decode(ids), norm.NFC.String(v); got != want {
			t.Fatalf("round trip %q -> %q", want, got)
		}
		for src, re := range regexes {
			a, _ := fastMatcher(src).findAll(v)
			b, err := re.findAll(v)
			if err == nil && !slices.Equal(a, b) {
				t.Fatalf("pattern %.20q on %q: fast %v, regexp2 %v", src, v, a, b)
			}
		}
	})
}
