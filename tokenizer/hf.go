package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// HF is a tokenizer read from a Hugging Face tokenizer.json, run as the
// Hugging Face tokenizers library runs it: added tokens are split out
// first, the rest is normalized, pre-tokenized and encoded by the BPE model,
// and the post-processor adds special tokens. It is safe for concurrent use.
//
// Supported components (anything else is a load error naming the field):
//   - normalizers: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip,
//     Prepend, Replace (String or Regex), BertNormalizer, Sequence;
//   - pre-tokenizers: Split (String or Regex; Removed, Isolated,
//     MergedWithPrevious, MergedWithNext, Contiguous; invert), ByteLevel,
//     Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation,
//     BertPreTokenizer, Sequence;
//   - model: BPE (both merges forms, byte_fallback, unk_token, fuse_unk,
//     continuing_subword_prefix, end_of_word_suffix, ignore_merges);
//   - post-processors: TemplateProcessing, ByteLevel, BertProcessing,
//     RobertaProcessing, Sequence;
//   - decoders: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace,
//     BPEDecoder, Sequence.
//
// Offsets are not computed, so options that only move offsets
// (ByteLevel trim_offsets) have no effect. Truncation must be null; padding
// (batches only) is ignored.
type HF struct {
	normalizer normalizer
	preTok     preTokenizer
	model      *bpeModel
	post       postProcessor
	decoder    decoder

	added     []addedToken
	unnorm    *addedMatcher // tokens matched on the raw text
	normd     *addedMatcher // tokens matched after normalization
	addedByID map[int32]int // index into added
	idToToken []string
	hasID     []bool
	vocabSize int
	aliases   map[string]string
}

type addedToken struct {
	id                         int32
	content                    string
	singleWord, lstrip, rstrip bool
	normalized, special        bool
}

// LoadHF reads a tokenizer.json. If a tokenizer_config.json sits next to
// it, its bos_token, eos_token, pad_token and unk_token become aliases, so
// Special(BOS), Special(EOS), Special(Pad) find the model's own tokens.
func LoadHF(path string) (*HF, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseHF(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	if cb, err := os.ReadFile(cfg); err == nil {
		if err := t.applyConfig(cb); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg, err)
		}
	}
	return t, nil
}

// ParseHF builds a tokenizer from the bytes of a tokenizer.json.
func ParseHF(data []byte) (*HF, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	if !isNull(f.Truncation) {
		return nil, errors.New("truncation: not supported (want null)")
	}
	t := &HF{aliases: map[string]string{}}
	var err error
	if t.normalizer, err = newNormalizer(f.Normalizer, "normalizer", 0); err != nil {
		return nil, err
	}
	if t.preTok, err = newPreTokenizer(f.PreTokenizer, "pre_tokenizer", 0); err != nil {
		return nil, err
	}
	if t.post, err = newPostProcessor(f.PostProcessor, "post_processor", 0); err != nil {
		return nil, err
	}
	if t.decoder, err = newDecoder(f.Decoder, "decoder", 0); err != nil {
		return nil, err
	}
	if isNull(f.Model) {
		return nil, errors.New("model: missing")
	}
	var m hfModel
	if err := json.Unmarshal(f.Model, &m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if m.Type != "BPE" && !(m.Type == "" && !isNull(m.Merges)) {
		return nil, fmt.Errorf("model.type: %q is not supported (supported: BPE)", m.Type)
	}
	if t.model, err = newBPE(&m); err != nil {
		return nil, err
	}
	if err := t.buildAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	t.buildIDs()
	return t, nil
}

func (t *HF) buildAdded(list []hfAddedToken) error {
	t.addedByID = map[int32]int{}
	var unnorm, normd []matchEntry
	for i, a := range list {
		f := fmt.Sprintf("added_tokens[%d]", i)
		if a.ID == nil || *a.ID < 0 {
			return fmt.Errorf("%s.id: missing or negative", f)
		}
		if a.Content == nil || *a.Content == "" {
			return fmt.Errorf("%s.content: missing or empty", f)
		}
		tok := addedToken{id: *a.ID, content: *a.Content, singleWord: a.SingleWord,
			lstrip: a.LStrip, rstrip: a.RStrip, special: a.Special, normalized: !a.Special}
		if a.Normalized != nil {
			tok.normalized = *a.Normalized
		}
		if j, dup := t.addedByID[tok.id]; dup {
			t.added[j] = tok // a repeated id keeps the last entry
		} else {
			t.addedByID[tok.id] = len(t.added)
			t.added = append(t.added, tok)
		}
	}
	for i, a := range t.added {
		if !a.normalized || t.normalizer == nil {
			unnorm = append(unnorm, matchEntry{a.content, i})
			continue
		}
		c, err := t.normalizer.normalize(a.content)
		if err != nil {
			return fmt.Errorf("added_tokens: normalizing %q: %w", a.content, err)
		}
		if c != "" {
			normd = append(normd, matchEntry{c, i})
		}
	}
	t.unnorm = newAddedMatcher(unnorm)
	t.normd = newAddedMatcher(normd)
	return nil
}

func (t *HF) buildIDs() {
	n := 0
	for _, id := range t.model.vocab {
		n = max(n, int(id)+1)
	}
	for _, a := range t.added {
		n = max(n, int(a.id)+1)
	}
	t.vocabSize = n
	t.idToToken = make([]string, n)
	t.hasID = make([]bool, n)
	for tok, id := range t.model.vocab {
		t.idToToken[id], t.hasID[id] = tok, true
	}
	for _, a := range t.added {
		t.idToToken[a.id], t.hasID[a.id] = a.content, true
	}
}

// applyConfig reads the special-token names of a tokenizer_config.json.
func (t *HF) applyConfig(b []byte) error {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(b, &cfg); err != nil {
		return err
	}
	for key, name := range map[string]string{"bos_token": BOS, "eos_token": EOS, "pad_token": Pad, "unk_token": "<unk>"} {
		raw, ok := cfg[key]
		if !ok || isNull(raw) {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var obj struct {
				Content string `json:"content"`
			}
			if err := json.Unmarshal(raw, &obj); err != nil {
				return fmt.Errorf("%s: want a string or {\"content\": ...}", key)
			}
			s = obj.Content
		}
		if _, ok := t.TokenToID(s); ok && s != name {
			t.aliases[name] = s
		}
	}
	return nil
}

// SetAlias makes Special(name) return the id of the token content, e.g.
// SetAlias(EOS, "<|im_end|>"). content must be in the vocabulary.
func (t *HF) SetAlias(name, content string) error {
	if _, ok := t.TokenToID(content); !ok {
		return fmt.Errorf("tokenizer: alias %q: token %q is not in the vocabulary", name, content)
	}
	t.aliases[name] = content
	return nil
}

// Special returns the id of a token by its content (an added token first,
// then the model vocabulary), after resolving aliases: Special(EOS) is the
// model's end-of-sequence token when tokenizer_config.json or SetAlias named it.
func (t *HF) Special(name string) (int32, bool) {
	if a, ok := t.aliases[name]; ok {
		name = a
	}
	return t.TokenToID(name)
}

// TokenToID returns the id of a token string (an added token, else a
// model vocabulary entry in the model's alphabet, e.g. "Ġthe").
func (t *HF) TokenToID(tok string) (int32, bool) {
	for _, a := range t.added {
		if a.content == tok {
			return a.id, true
		}
	}
	id, ok := t.model.vocab[tok]
	return id, ok
}

// IDToToken returns the token string of an id.
func (t *HF) IDToToken(id int32) (string, bool) {
	if id < 0 || int(id) >= len(t.idToToken) || !t.hasID[id] {
		return "", false
	}
	return t.idToToken[id], true
}

// IsSpecial reports whether id is an added token marked special.
func (t *HF) IsSpecial(id int32) bool {
	i, ok := t.addedByID[id]
	return ok && t.added[i].special
}

// VocabSize is one more than the largest id of the vocabulary and the
// added tokens.
func (t *HF) VocabSize() int { return t.vocabSize }

// Encode maps text to ids as the reference's default encode does, with the
// post-processor's special tokens (e.g. Llama's <s>). Invalid UTF-8 is read
// as U+FFFD per bad byte, as a JSON decoder would. The error is non-nil
// only when a regex of the tokenizer.json times out.
func (t *HF) Encode(text string) ([]int32, error) { return t.EncodeWith(text, true) }

// EncodeWith is Encode with the post-processor's special tokens added or not.
func (t *HF) EncodeWith(text string, addSpecial bool) ([]int32, error) {
	ids, err := t.encodeText(text)
	if err != nil {
		return nil, err
	}
	return t.postProcess([][]int32{ids}, addSpecial), nil
}

// EncodePair encodes a pair of texts (the post-processor's pair template).
func (t *HF) EncodePair(a, b string, addSpecial bool) ([]int32, error) {
	x, err := t.encodeText(a)
	if err != nil {
		return nil, err
	}
	y, err := t.encodeText(b)
	if err != nil {
		return nil, err
	}
	return t.postProcess([][]int32{x, y}, addSpecial), nil
}

func (t *HF) postProcess(encs [][]int32, addSpecial bool) []int32 {
	if t.post != nil {
		encs = t.post.process(encs, addSpecial)
	}
	if len(encs) == 1 {
		return encs[0]
	}
	var out []int32
	for _, e := range encs {
		out = append(out, e...)
	}
	return out
}

// validUTF8 replaces each invalid byte by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}

// encodeText encodes one sequence, without post-processing.
func (t *HF) encodeText(text string) ([]int32, error) {
	text = validUTF8(text)
	ids := make([]int32, 0, len(text)/3+1)
	var err error
	first := true
	for _, sec := range t.unnorm.split(text, t.added) {
		if sec.added >= 0 {
			ids = append(ids, t.added[sec.added].id)
			first = false
			continue
		}
		s := sec.s
		if t.normalizer != nil {
			if s, err = t.normalizer.normalize(s); err != nil {
				return nil, err
			}
		}
		for _, sub := range t.normd.split(s, t.added) {
			if sub.added >= 0 {
				ids = append(ids, t.added[sub.added].id)
				first = false
				continue
			}
			if ids, err = t.encodePiece(ids, sub.s, first && sec.start == 0); err != nil {
				return nil, err
			}
			first = false
		}
	}
	return ids, nil
}

func (t *HF) encodePiece(ids []int32, s string, first bool) ([]int32, error) {
	if s == "" {
		return ids, nil
	}
	pieces := []pretok{{s, first}}
	if t.preTok != nil {
		var err error
		if pieces, err = t.preTok.preTokenize(pieces); err != nil {
			return nil, err
		}
	}
	for _, p := range pieces {
		ids = t.model.tokenize(ids, p.s)
	}
	return ids, nil
}

// Decode maps ids to text through the tokenizer.json's decoder, keeping
// special tokens; ids outside the vocabulary appear as "<?id>".
func (t *HF) Decode(ids []int32) string { return t.DecodeWith(ids, false) }

// DecodeWith is Decode, leaving out special tokens when skipSpecial is set.
func (t *HF) DecodeWith(ids []int32, skipSpecial bool) string {
	var out strings.Builder
	var toks []string
	flush := func() {
		if len(toks) == 0 {
			return
		}
		if t.decoder != nil {
			for _, s := range t.decoder.decodeChain(toks) {
				out.WriteString(s)
			}
		} else {
			out.WriteString(strings.Join(toks, " "))
		}
		toks = toks[:0]
	}
	for _, id := range ids {
		tok, ok := t.IDToToken(id)
		if !ok {
			flush()
			fmt.Fprintf(&out, "<?%d>", id)
			continue
		}
		if skipSpecial && t.IsSpecial(id) {
			continue
		}
		toks = append(toks, tok)
	}
	flush()
	return out.String()
}

// ---- Added-token matching ----

type matchEntry struct {
	content string
	index   int // into HF.added
}

// addedMatcher finds added tokens leftmost-longest, as the Rust library's
// Aho-Corasick (MatchKind::LeftmostLongest) does.
type addedMatcher struct {
	byFirst map[byte][]matchEntry // longest first
	first   [256]bool             // bytes that start some token
}

func newAddedMatcher(entries []matchEntry) *addedMatcher {
	m := &addedMatcher{byFirst: map[byte][]matchEntry{}}
	for _, e := range entries {
		m.byFirst[e.content[0]] = append(m.byFirst[e.content[0]], e)
		m.first[e.content[0]] = true
	}
	for _, l := range m.byFirst {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].content) > len(l[j].content) })
	}
	return m
}

type section struct {
	s     string
	start int // byte offset in the split text
	added int // index into HF.added, or -1 for text
}

func isWordRune(r rune) bool { return isL(r) || isN(r) }

// split cuts text into added tokens and the text between them, honouring
// single_word, lstrip and rstrip as the Rust library does.
func (m *addedMatcher) split(text string, added []addedToken) []section {
	if len(m.byFirst) == 0 {
		return []section{{text, 0, -1}}
	}
	var out []section
	prev := 0
	for i := 0; i < len(text); {
		if !m.first[text[i]] {
			i++
			continue
		}
		cands := m.byFirst[text[i]]
		found := -1
		for k, e := range cands {
			if strings.HasPrefix(text[i:], e.content) {
				found = k
				break
			}
		}
		if found < 0 {
			i++
			continue
		}
		e := cands[found]
		a := added[e.index]
		start, stop := i, i+len(e.content)
		if a.singleWord {
			before, _ := utf8.DecodeLastRuneInString(text[:start])
			after, _ := utf8.DecodeRuneInString(text[stop:])
			if start > 0 && isWordRune(before) || stop < len(text) && isWordRune(after) {
				i = stop
				continue
			}
		}
		if a.lstrip {
			start = max(prev, len(strings.TrimRightFunc(text[:start], isWS)))
		}
		if a.rstrip {
			stop = len(text) - len(strings.TrimLeftFunc(text[stop:], isWS))
		}
		if start > prev {
			out = append(out, section{text[prev:start], prev, -1})
		}
		out = append(out, section{text[start:stop], start, e.index})
		prev, i = stop, stop
	}
	if prev < len(text) {
		out = append(out, section{text[prev:], prev, -1})
	}
	return out
}
