package tokenizer

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tinyVocab is a small char-level BPE vocabulary for unit tests.
var tinyVocab = map[string]int{
	"<unk>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "c": 5, "ab": 6, "abc": 7,
	"▁": 8, "▁a": 9, "<0x41>": 10, "<0xC3>": 11, "<0xA9>": 12, "d": 13, "bc": 14,
	"<tool>": 15, "x": 16, " ": 17,
}

// tinyJSON builds a tokenizer.json from the tiny vocabulary; set replaces
// top-level fields and model sets model fields.
func tinyJSON(t testing.TB, set map[string]any, model map[string]any) []byte {
	m := map[string]any{
		"type": "BPE", "vocab": tinyVocab, "merges": []string{"a b", "ab c", "▁ a", "b c"},
		"unk_token": "<unk>", "fuse_unk": false, "byte_fallback": false,
	}
	for k, v := range model {
		m[k] = v
	}
	f := map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []any{
			map[string]any{"id": 1, "content": "<s>", "special": true, "normalized": false},
			map[string]any{"id": 2, "content": "</s>", "special": true, "normalized": false},
		},
		"normalizer": nil, "pre_tokenizer": nil, "post_processor": nil, "decoder": nil,
		"model": m,
	}
	for k, v := range set {
		f[k] = v
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tiny(t testing.TB, set map[string]any, model map[string]any) *HF {
	tok, err := ParseHF(tinyJSON(t, set, model))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSplitBehaviors(t *testing.T) {
	// The examples of the Hugging Face tokenizers documentation.
	text := "the-final--countdown"
	cases := []struct {
		beh    splitBehavior
		invert bool
		want   []string
	}{
		{behRemoved, false, []string{"the", "final", "countdown"}},
		{behIsolated, false, []string{"the", "-", "final", "-", "-", "countdown"}},
		{behMergedWithPrevious, false, []string{"the-", "final-", "-", "countdown"}},
		{behMergedWithNext, false, []string{"the", "-final", "-", "-countdown"}},
		{behContiguous, false, []string{"the", "-", "final", "--", "countdown"}},
		{behRemoved, true, []string{"-", "-", "-"}},
	}
	for _, c := range cases {
		spans, _ := literalMatcher{"-"}.findAll(text)
		var got []string
		for _, p := range splitPiece(nil, pretok{text, true}, spans, c.beh, c.invert) {
			got = append(got, p.s)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("behavior %d invert %v: got %q, want %q", c.beh, c.invert, got, c.want)
		}
	}
}

func preTok(t *testing.T, cfg map[string]any, text string) []string {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	p, err := newPreTokenizer(raw, "pre_tokenizer", 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.preTokenize([]pretok{{text, true}})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, x := range out {
		s = append(s, x.s)
	}
	return s
}

func TestPreTokenizers(t *testing.T) {
	cases := []struct {
		name string
		cfg  map[string]any
		text string
		want []string
	}{
		{"metaspace", map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}, "Hey friend", []string{"▁Hey", "▁friend"}},
		{"metaspace no split", map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": false}, "Hey friend", []string{"▁Hey▁friend"}},
		{"metaspace never", map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}, "Hey  friend", []string{"Hey", "▁", "▁friend"}},
		{"metaspace first", map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}, "Hey", []string{"▁Hey"}},
		{"digits", map[string]any{"type": "Digits", "individual_digits": true}, "a123b", []string{"a", "1", "2", "3", "b"}},
		{"digits grouped", map[string]any{"type": "Digits", "individual_digits": false}, "a123b4", []string{"a", "123", "b", "4"}},
		{"punctuation", map[string]any{"type": "Punctuation"}, "Hey friend!? x", []string{"Hey friend", "!", "?", " x"}},
		{"whitespace", map[string]any{"type": "Whitespace"}, "Hey friend! ça", []string{"Hey", "friend", "!", "ça"}},
		{"whitespace split", map[string]any{"type": "WhitespaceSplit"}, " Hey\tfriend!  ", []string{"Hey", "friend!"}},
		{"bytelevel", map[string]any{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}, "Hi  é", []string{"ĠHi", "Ġ", "ĠÃ©"}},
		{"bytelevel no regex", map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}, "Hi you", []string{"HiĠyou"}},
		{"split regex invert", map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\d+`}, "behavior": "Removed", "invert": true}, "a12b345", []string{"12", "345"}},
		{"split lookahead", map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\s+(?!\S)|\s+`}, "behavior": "Isolated", "invert": false}, "a   b", []string{"a", "  ", " ", "b"}},
		{"sequence", map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "WhitespaceSplit"}, map[string]any{"type": "Digits", "individual_digits": true}}}, "x12 y", []string{"x", "1", "2", "y"}},
	}
	for _, c := range cases {
		if got := preTok(t, c.cfg, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q -> %q, want %q", c.name, c.text, got, c.want)
		}
	}
}

func TestNormalizers(t *testing.T) {
	cases := []struct {
		cfg  map[string]any
		in   string
		want string
	}{
		{map[string]any{"type": "NFC"}, "e\u0301", "é"},
		{map[string]any{"type": "NFD"}, "é", "e\u0301"},
		{map[string]any{"type": "NFKC"}, "ﬁ①", "fi1"},
		{map[string]any{"type": "NFKD"}, "ﬁé", "fie\u0301"},
		{map[string]any{"type": "Lowercase"}, "HeLLo İ", "hello i\u0307"},
		{map[string]any{"type": "Strip", "strip_left": true, "strip_right": false}, "  a  ", "a  "},
		{map[string]any{"type": "StripAccents"}, "e\u0301a", "ea"},
		{map[string]any{"type": "Prepend", "prepend": "▁"}, "a", "▁a"},
		{map[string]any{"type": "Prepend", "prepend": "▁"}, "", ""},
		{map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"}, "a b  c", "a▁b▁▁c"},
		{map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": ` {2,}`}, "content": " "}, "a b   c", "a b c"},
		{map[string]any{"type": "BertNormalizer"}, "Héllo\t中X\x00", "hello  中 x"},
		{map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Lowercase"}, map[string]any{"type": "Prepend", "prepend": "_"}}}, "AB", "_ab"},
	}
	for _, c := range cases {
		raw, _ := json.Marshal(c.cfg)
		n, err := newNormalizer(raw, "normalizer", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := n.normalize(c.in); got != c.want {
			t.Errorf("%v: %q -> %q, want %q", c.cfg["type"], c.in, got, c.want)
		}
	}
}

func TestBPEModel(t *testing.T) {
	pairForm := [][]string{{"a", "b"}, {"ab", "c"}, {"▁", "a"}, {"b", "c"}}
	cases := []struct {
		name  string
		model map[string]any
		text  string
		want  []int32
	}{
		{"merges as strings", nil, "abcab", []int32{7, 6}},
		{"merges as pairs", map[string]any{"merges": pairForm}, "abcab", []int32{7, 6}},
		{"rank order", nil, "bcab", []int32{14, 6}},
		{"unk", nil, "axxzz", []int32{3, 16, 16, 0, 0}},
		{"fuse unk", map[string]any{"fuse_unk": true}, "azzb", []int32{3, 0, 4}},
		{"byte fallback", map[string]any{"byte_fallback": true}, "Aé", []int32{10, 11, 12}},
		{"byte fallback partial falls to unk", map[string]any{"byte_fallback": true}, "B", []int32{0}},
		{"no unk drops (then a, b merge)", map[string]any{"unk_token": nil}, "azb", []int32{6}},
	}
	for _, c := range cases {
		tok := tiny(t, nil, c.model)
		got, err := tok.EncodeWith(c.text, false)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q -> %v (%v), want %v", c.name, c.text, got, err, c.want)
		}
	}
	// ignore_merges: a word in the vocab is taken whole even when the
	// merges would not build it ("bc" + "a"... here "abc" needs no rule).
	v := map[string]int{"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "xabc": 6, "x": 7}
	for _, ignore := range []bool{false, true} {
		tok := tiny(t, map[string]any{"added_tokens": []any{}}, map[string]any{"vocab": v, "merges": []string{"a b", "b c"}, "unk_token": nil, "ignore_merges": ignore})
		got, _ := tok.EncodeWith("xabc", false)
		want := []int32{7, 3, 2}
		if ignore {
			want = []int32{6}
		}
		if !slices.Equal(got, want) {
			t.Errorf("ignore_merges %v: got %v, want %v", ignore, got, want)
		}
	}
	// continuing_subword_prefix and end_of_word_suffix.
	v = map[string]int{"a": 0, "##b": 1, "##c</w>": 2, "a##b": 3, "a</w>": 4, "##b</w>": 5}
	tok := tiny(t, map[string]any{"added_tokens": []any{}}, map[string]any{"vocab": v, "merges": []string{}, "unk_token": nil,
		"continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"})
	if got, _ := tok.EncodeWith("abc", false); !slices.Equal(got, []int32{0, 1, 2}) {
		t.Errorf("prefix/suffix: got %v, want [0 1 2]", got)
	}
}

func TestAddedTokens(t *testing.T) {
	tool := func(extra map[string]any) map[string]any {
		m := map[string]any{"id": 15, "content": "<tool>", "special": false, "normalized": false}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	base := []any{
		map[string]any{"id": 1, "content": "<s>", "special": true, "normalized": false},
		map[string]any{"id": 2, "content": "</s>", "special": true, "normalized": false},
	}
	ws := map[string]any{"type": "WhitespaceSplit"}
	cases := []struct {
		name string
		tok  map[string]any
		pre  any
		text string
		want []int32
	}{
		{"plain", tool(nil), nil, "ab<tool>c", []int32{6, 15, 5}},
		{"longest first", tool(map[string]any{"content": "<s>a"}), nil, "<s>ab", []int32{15, 4}},
		{"lstrip", tool(map[string]any{"lstrip": true}), nil, "ab <tool> c", []int32{6, 15, 17, 5}},
		{"rstrip", tool(map[string]any{"rstrip": true}), nil, "ab <tool> c", []int32{6, 17, 15, 5}},
		{"single word refuses", tool(map[string]any{"single_word": true, "content": "ab"}), ws, "abc ab", []int32{7, 15}},
		{"special in text", tool(nil), nil, "a</s>b<s>", []int32{3, 2, 4, 1}},
	}
	for _, c := range cases {
		tok := tiny(t, map[string]any{"added_tokens": append(slices.Clone(base), c.tok), "pre_tokenizer": c.pre}, nil)
		got, err := tok.EncodeWith(c.text, false)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %q -> %v (%v), want %v", c.name, c.text, got, err, c.want)
		}
	}
	// normalized: true tokens match after the normalizer; special ones
	// (normalized: false) match the raw text only.
	tok := tiny(t, map[string]any{
		"normalizer":   map[string]any{"type": "Lowercase"},
		"added_tokens": append(slices.Clone(base), map[string]any{"id": 15, "content": "<TOOL>", "normalized": true}),
	}, nil)
	if got, _ := tok.EncodeWith("A<tool><TOOL><S>", false); !slices.Equal(got, []int32{3, 15, 15, 0, 0, 0}) {
		t.Errorf("normalized added token: got %v", got)
	}
	if id, ok := tok.Special("</s>"); !ok || id != 2 || !tok.IsSpecial(2) || tok.IsSpecial(15) {
		t.Errorf("Special(</s>) = %d, %v", id, ok)
	}
}

func TestPostProcessors(t *testing.T) {
	tmpl := map[string]any{
		"type":   "TemplateProcessing",
		"single": []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>"}}, map[string]any{"Sequence": map[string]any{"id": "A"}}},
		"pair": []any{map[string]any{"SpecialToken": map[string]any{"id": "<s>"}}, map[string]any{"Sequence": map[string]any{"id": "A"}},
			map[string]any{"SpecialToken": map[string]any{"id": "</s>"}}, map[string]any{"Sequence": map[string]any{"id": "B"}}},
		"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []int{1}}, "</s>": map[string]any{"id": "</s>", "ids": []int{2}}},
	}
	roberta := map[string]any{"type": "RobertaProcessing", "cls": []any{"<s>", 1}, "sep": []any{"</s>", 2}}
	bert := map[string]any{"type": "BertProcessing", "cls": []any{"<s>", 1}, "sep": []any{"</s>", 2}}
	seq := map[string]any{"type": "Sequence", "processors": []any{map[string]any{"type": "ByteLevel"}, tmpl}}
	cases := []struct {
		name       string
		post       any
		single     []int32
		pair       []int32
		noSpecials []int32
	}{
		{"template", tmpl, []int32{1, 3}, []int32{1, 3, 2, 4}, []int32{3}},
		{"roberta", roberta, []int32{1, 3, 2}, []int32{1, 3, 2, 2, 4, 2}, []int32{3}},
		{"bert", bert, []int32{1, 3, 2}, []int32{1, 3, 2, 4, 2}, []int32{3}},
		{"sequence", seq, []int32{1, 3}, []int32{1, 3, 2, 4}, []int32{3}},
		{"none", nil, []int32{3}, []int32{3, 4}, []int32{3}},
	}
	for _, c := range cases {
		tok := tiny(t, map[string]any{"post_processor": c.post}, nil)
		s, _ := tok.Encode("a")
		p, _ := tok.EncodePair("a", "b", true)
		n, _ := tok.EncodeWith("a", false)
		if !slices.Equal(s, c.single) || !slices.Equal(p, c.pair) || !slices.Equal(n, c.noSpecials) {
			t.Errorf("%s: single %v pair %v plain %v; want %v %v %v", c.name, s, p, n, c.single, c.pair, c.noSpecials)
		}
	}
}

func TestDecoders(t *testing.T) {
	llama := map[string]any{"type": "Sequence", "decoders": []any{
		map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
		map[string]any{"type": "ByteFallback"}, map[string]any{"type": "Fuse"},
		map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0}}}
	cases := []struct {
		name string
		dec  any
		ids  []int32
		skip bool
		want string
	}{
		{"llama", llama, []int32{1, 9, 4, 11, 12}, false, "<s> abé"},
		{"llama skip", llama, []int32{1, 9, 4, 11, 12, 2}, true, "ab\u00e9"},
		{"byte fallback invalid", llama, []int32{9, 11, 9}, false, "a\ufffd a"},
		{"unknown id", llama, []int32{9, 99, -1}, false, "a<?99><?-1>"},
		{"metaspace", map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"}, []int32{9, 8, 9}, false, "a  a"},
		{"none", nil, []int32{3, 4}, false, "a b"},
		{"bpe suffix", map[string]any{"type": "BPEDecoder", "suffix": "b"}, []int32{4, 3, 4}, false, " a"},
	}
	for _, c := range cases {
		tok := tiny(t, map[string]any{"decoder": c.dec}, nil)
		if got := tok.DecodeWith(c.ids, c.skip); got != c.want {
			t.Errorf("%s: %v -> %q, want %q", c.name, c.ids, got, c.want)
		}
	}
	// ByteLevel: invalid UTF-8 becomes U+FFFD per maximal bad subsequence
	// (Rust's from_utf8_lossy): "\xE2\x82" truncated is one U+FFFD.
	if got := string(appendLossy(nil, []byte("a\xE2\x82b\xFF\xC3"))); got != "a\ufffdb\ufffd\ufffd" {
		t.Errorf("lossy = %q", got)
	}
	toks := []string{byteLevelMap("héllo"), byteLevelMap(" \xE2\x82")}
	if got := byteLevelDecode(toks)[0]; got != "héllo \ufffd" {
		t.Errorf("byte-level decode = %q", got)
	}
}

func TestHFLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		set   map[string]any
		model map[string]any
		want  string
	}{
		{"model type", nil, map[string]any{"type": "Unigram"}, `model.type: "Unigram" is not supported (supported: BPE)`},
		{"merge out of vocab", nil, map[string]any{"merges": []string{"a q"}}, `model.merges[0]: "q" is not in model.vocab`},
		{"bad merge string", nil, map[string]any{"merges": []string{"a b c"}}, `model.merges[0]: "a b c" is not two tokens`},
		{"bad merge pair", nil, map[string]any{"merges": []any{[]string{"a"}}}, `model.merges[0]: want "a b" or [a, b]`},
		{"unk", nil, map[string]any{"unk_token": "<nope>"}, `model.unk_token: "<nope>" is not in model.vocab`},
		{"dropout", nil, map[string]any{"dropout": 0.1}, "model.dropout"},
		{"normalizer type", map[string]any{"normalizer": map[string]any{"type": "Precompiled"}}, nil, `normalizer.type: "Precompiled" is not supported (supported: NFC`},
		{"nested", map[string]any{"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Nope"}}}}, nil, `normalizer.normalizers[0].type: "Nope"`},
		{"behavior", map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{"String": " "}, "behavior": "Merged"}}, nil, `pre_tokenizer.behavior: "Merged" is not supported (supported: Removed, Isolated`},
		{"regex", map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "("}, "behavior": "Isolated"}}, nil, "pre_tokenizer.pattern.Regex"},
		{"pattern", map[string]any{"pre_tokenizer": map[string]any{"type": "Split", "pattern": map[string]any{}, "behavior": "Isolated"}}, nil, `pre_tokenizer.pattern: want {"String"`},
		{"prepend scheme", map[string]any{"pre_tokenizer": map[string]any{"type": "Metaspace", "prepend_scheme": "sometimes"}}, nil, `pre_tokenizer.prepend_scheme: "sometimes"`},
		{"template", map[string]any{"post_processor": map[string]any{"type": "TemplateProcessing", "single": []any{map[string]any{"SpecialToken": map[string]any{"id": "<x>"}}}}}, nil, `post_processor.single[0].SpecialToken.id: "<x>" is not in special_tokens`},
		{"decoder", map[string]any{"decoder": map[string]any{"type": "CTC"}}, nil, `decoder.type: "CTC" is not supported`},
		{"added id", map[string]any{"added_tokens": []any{map[string]any{"content": "x"}}}, nil, "added_tokens[0].id"},
		{"truncation", map[string]any{"truncation": map[string]any{"max_length": 5}}, nil, "truncation: not supported"},
	}
	for _, c := range cases {
		_, err := ParseHF(tinyJSON(t, c.set, c.model))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := ParseHF([]byte("{")); err == nil {
		t.Error("truncated JSON must be an error")
	}
}

// TestFastMatcherMatchesRegexp2 checks the hand-written GPT-2, Llama-3 and
// Qwen split patterns against regexp2 running the patterns themselves.
func TestFastMatcherMatchesRegexp2(t *testing.T) {
	texts := []string{"", "a", " ", "\n", "  \n \n  x", "It's 'S 'LL 'x", "a1234b 5", " $x !! ?\r\n\r\n y", "\u00a0\u3000z\u2028",
		"日本語 👩‍👩‍👧 e\u0301 ١٢٣ ½", "tab\t\tend\t", "x  ", "''s", "'", "\r", "a\r\n", " ?\n\n"}
	for _, name := range refNames {
		for _, l := range readRefIfPresent(t, "hf_"+name+"_dev.jsonl") {
			texts = append(texts, l.Text)
		}
	}
	for _, src := range []string{gpt2Pattern, llama3Pattern, qwenPattern} {
		re, err := compileRegex(src)
		if err != nil {
			t.Fatal(err)
		}
		fast := fastMatcher(src)
		for _, s := range texts {
			a, _ := fast.findAll(s)
			b, err := re.findAll(s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a, b) {
				t.Errorf("pattern %.20q on %q: fast %v, regexp2 %v", src, trunc(s), a, b)
			}
		}
	}
	// \s, \p{L}, \p{N} agree with regexp2 on every code point.
	for _, cl := range []struct {
		re string
		f  func(rune) bool
	}{{`\s`, isWS}, {`\p{L}`, isL}, {`\p{N}`, isN}} {
		re, _ := compileRegex("^" + cl.re + "$")
		for r := rune(0); r <= 0x10FFFF; r++ {
			if r >= 0xD800 && r <= 0xDFFF || r > 0x3400 && r < 0xE000 && r%7 != 0 {
				continue // surrogates; sample the big CJK/Hangul blocks
			}
			ok, _ := re.re.MatchRunes([]rune{r})
			if ok != cl.f(r) {
				t.Errorf("%s on U+%04X: regexp2 %v, Go %v", cl.re, r, ok, cl.f(r))
			}
		}
	}
}

func readRefIfPresent(t *testing.T, name string) []refLine {
	p := refPath(name)
	if p == "" {
		return nil
	}
	return readRef(t, p)
}

func TestInvalidUTF8AndEmpty(t *testing.T) {
	tok := tiny(t, map[string]any{"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}}, nil)
	for _, s := range []string{"", "\xff", "a\xc3", "\xed\xa0\x80"} {
		if _, err := tok.Encode(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if validUTF8("a\xffb") != "a\ufffdb" {
		t.Error("invalid byte must become U+FFFD")
	}
}

func TestTokenizeCLI(t *testing.T) {
	tok := tiny(t, map[string]any{"decoder": map[string]any{"type": "Fuse"}}, nil)
	var out bytes.Buffer
	in := "{\"text\": \"abc\"}\nnot json\n{\"text\": \"<s>a\"}\n{\"other\": 1}\n"
	err := convertJSONL(tok, strings.NewReader(in), &out, TokenizeCLIOptions{})
	want := "{\"ids\":[7]}\n{\"error\":\"line 2: want {\\\"text\\\": ...}: invalid character 'o' in literal null (expecting 'u')\"}\n{\"ids\":[1,3]}\n{\"error\":\"line 4: field \\\"text\\\" is missing\"}\n"
	if out.String() != want {
		t.Errorf("encode output:\n%s\nwant\n%s", out.String(), want)
	}
	if err == nil || !strings.Contains(err.Error(), "2 bad input line(s); first: line 2") {
		t.Errorf("error = %v", err)
	}
	out.Reset()
	err = convertJSONL(tok, strings.NewReader("{\"ids\": [1, 7]}\n{\"ids\": [3, 99]}\n"), &out, TokenizeCLIOptions{Decode: true})
	if err != nil || out.String() != "{\"text\":\"<s>abc\"}\n{\"text\":\"a<?99>\"}\n" {
		t.Errorf("decode output %q, %v", out.String(), err)
	}
	out.Reset()
	err = convertJSONL(tok, strings.NewReader("{\"ids\": [1, 7]}\n"), &out, TokenizeCLIOptions{Decode: true, SkipSpecial: true})
	if err != nil || out.String() != "{\"text\":\"abc\"}\n" {
		t.Errorf("decode skipping specials %q, %v", out.String(), err)
	}
	if err := RunTokenizeCLI(strings.NewReader(""), &out, "/nonexistent/tokenizer.json", false); err == nil {
		t.Error("missing file must be an error")
	}
}

func TestHFImplementsTokenizer(t *testing.T) {
	var tk Tokenizer = tiny(t, nil, nil)
	if tk.VocabSize() != 18 {
		t.Errorf("VocabSize = %d, want 18", tk.VocabSize())
	}
	if id, ok := tk.Special("<s>"); !ok || id != 1 {
		t.Errorf("Special(<s>) = %d %v", id, ok)
	}
	if _, ok := tk.Special(EOS); ok {
		t.Error("EOS has no alias in the tiny tokenizer")
	}
	h := tk.(*HF)
	if err := h.SetAlias(EOS, "</s>"); err != nil {
		t.Fatal(err)
	}
	if id, ok := tk.Special(EOS); !ok || id != 2 {
		t.Errorf("Special(EOS) after alias = %d %v", id, ok)
	}
	if h.SetAlias(BOS, "<nope>") == nil {
		t.Error("alias to a missing token must be an error")
	}
}
