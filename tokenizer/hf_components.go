package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNesting bounds Sequence nesting in an untrusted tokenizer.json.
const maxNesting = 32

// ---- Normalizers ----

type normalizer interface {
	normalize(s string) (string, error)
}

type normFunc func(string) string

func (f normFunc) normalize(s string) (string, error) { return f(s), nil }

type normSeq []normalizer

func (q normSeq) normalize(s string) (string, error) {
	var err error
	for _, n := range q {
		if s, err = n.normalize(s); err != nil {
			return "", err
		}
	}
	return s, nil
}

type replaceNorm struct {
	m       matcher
	content string
}

func (r replaceNorm) normalize(s string) (string, error) { return replaceAll(s, r.m, r.content) }

func replaceAll(s string, m matcher, content string) (string, error) {
	spans, err := m.findAll(s)
	if err != nil || len(spans) == 0 {
		return s, err
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp.start])
		b.WriteString(content)
		prev = sp.end
	}
	b.WriteString(s[prev:])
	return b.String(), nil
}

// lowercase maps each character to its full lowercase form, as Rust's
// char::to_lowercase does (U+0130 is the one unconditional multi-character
// mapping).
func lowercase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == 0x130 {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func stripAccents(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

func isChineseChar(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

func bertNormalizer(c *hfComponent) normalizer {
	def := func(p *bool, d bool) bool {
		if p == nil {
			return d
		}
		return *p
	}
	clean := def(c.CleanText, true)
	chinese := def(c.HandleChineseChars, true)
	lower := def(c.Lowercase, true)
	strip := def(c.StripAccents, lower)
	return normFunc(func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if clean {
				control := r != '\t' && r != '\n' && r != '\r' &&
					(unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co) ||
						!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C))
				if r == 0 || r == 0xFFFD || control {
					continue
				}
				if isWS(r) {
					r = ' '
				}
			}
			if chinese && isChineseChar(r) {
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
		out := b.String()
		if strip {
			out = stripAccents(norm.NFD.String(out))
		}
		if lower {
			out = lowercase(out)
		}
		return out
	})
}

func newNormalizer(raw json.RawMessage, field string, depth int) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	if depth > maxNesting {
		return nil, fmt.Errorf("%s: Sequence nested deeper than %d", field, maxNesting)
	}
	c, err := decodeComponent(raw, field)
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case "NFC":
		return normFunc(norm.NFC.String), nil
	case "NFD":
		return normFunc(norm.NFD.String), nil
	case "NFKC":
		return normFunc(norm.NFKC.String), nil
	case "NFKD":
		return normFunc(norm.NFKD.String), nil
	case "Lowercase":
		return normFunc(lowercase), nil
	case "StripAccents":
		return normFunc(stripAccents), nil
	case "Strip":
		left, right := c.StripLeft == nil || *c.StripLeft, c.StripRight == nil || *c.StripRight
		return normFunc(func(s string) string {
			if left {
				s = strings.TrimLeftFunc(s, isWS)
			}
			if right {
				s = strings.TrimRightFunc(s, isWS)
			}
			return s
		}), nil
	case "Prepend":
		if c.Prepend == nil {
			return nil, fmt.Errorf("%s.prepend: missing", field)
		}
		p := *c.Prepend
		return normFunc(func(s string) string {
			if s == "" {
				return s
			}
			return p + s
		}), nil
	case "Replace":
		if c.Pattern == nil {
			return nil, fmt.Errorf("%s.pattern: missing", field)
		}
		m, err := newPatternMatcher(*c.Pattern, field+".pattern")
		if err != nil {
			return nil, err
		}
		content := ""
		if c.Content != nil {
			content = *c.Content
		}
		return replaceNorm{m, content}, nil
	case "BertNormalizer":
		return bertNormalizer(c), nil
	case "Sequence":
		var q normSeq
		for i, sub := range c.Normalizers {
			n, err := newNormalizer(sub, fmt.Sprintf("%s.normalizers[%d]", field, i), depth+1)
			if err != nil {
				return nil, err
			}
			if n != nil {
				q = append(q, n)
			}
		}
		return q, nil
	}
	return nil, fmt.Errorf("%s.type: %q is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace, BertNormalizer, Sequence)", field, c.Type)
}

// ---- Pre-tokenizers ----

// pretok is one piece of pre-tokenized text; first marks the piece that
// starts the original text (Metaspace's prepend_scheme "first").
type pretok struct {
	s     string
	first bool
}

type preTokenizer interface {
	preTokenize(in []pretok) ([]pretok, error)
}

type splitBehavior int

const (
	behRemoved splitBehavior = iota
	behIsolated
	behMergedWithPrevious
	behMergedWithNext
	behContiguous
)

func parseBehavior(s, field string) (splitBehavior, error) {
	switch s {
	case "Removed":
		return behRemoved, nil
	case "Isolated":
		return behIsolated, nil
	case "MergedWithPrevious":
		return behMergedWithPrevious, nil
	case "MergedWithNext":
		return behMergedWithNext, nil
	case "Contiguous":
		return behContiguous, nil
	}
	return 0, fmt.Errorf("%s: %q is not supported (supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)", field, s)
}

type mspan struct {
	span
	match bool
}

// splitPiece splits p at the matches, as the Rust library's
// NormalizedString::split does: matches and the text between them are
// combined by behavior, and empty pieces are dropped.
func splitPiece(dst []pretok, p pretok, spans []span, beh splitBehavior, invert bool) []pretok {
	s := p.s
	parts := make([]mspan, 0, 2*len(spans)+1)
	prev := 0
	for _, sp := range spans {
		if sp.start > prev {
			parts = append(parts, mspan{span{prev, sp.start}, false})
		}
		parts = append(parts, mspan{sp, true})
		prev = sp.end
	}
	if prev < len(s) {
		parts = append(parts, mspan{span{prev, len(s)}, false})
	}
	if invert {
		for i := range parts {
			parts[i].match = !parts[i].match
		}
	}
	var out []mspan
	switch beh {
	case behIsolated:
		out = parts
		for i := range out {
			out[i].match = false
		}
	case behRemoved:
		out = parts
	case behContiguous:
		prevMatch := false
		for _, x := range parts {
			if x.match == prevMatch && len(out) > 0 {
				out[len(out)-1].end = x.end
			} else {
				out = append(out, mspan{x.span, false})
			}
			prevMatch = x.match
		}
	case behMergedWithPrevious:
		prevMatch := false
		for _, x := range parts {
			if x.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = x.end
			} else {
				out = append(out, mspan{x.span, false})
			}
			prevMatch = x.match
		}
	case behMergedWithNext:
		prevMatch := false
		for i := len(parts) - 1; i >= 0; i-- {
			x := parts[i]
			if x.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = x.start
			} else {
				out = append(out, mspan{x.span, false})
			}
			prevMatch = x.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	for _, x := range out {
		if x.match || x.end <= x.start {
			continue
		}
		dst = append(dst, pretok{s[x.start:x.end], p.first && x.start == 0})
	}
	return dst
}

// splitPre splits every piece at the matches of m.
type splitPre struct {
	m      matcher
	beh    splitBehavior
	invert bool
}

func (sp splitPre) preTokenize(in []pretok) ([]pretok, error) {
	out := make([]pretok, 0, len(in)*4)
	for _, p := range in {
		spans, err := sp.m.findAll(p.s)
		if err != nil {
			return nil, err
		}
		out = splitPiece(out, p, spans, sp.beh, sp.invert)
	}
	return out, nil
}

// charMatcher matches single characters satisfying f.
type charMatcher func(rune) bool

func (f charMatcher) findAll(s string) ([]span, error) {
	var out []span
	for i, r := range s {
		if f(r) {
			out = append(out, span{i, i + utf8.RuneLen(r)})
		}
	}
	return out, nil
}

// runMatcher matches maximal runs of characters satisfying f.
type runMatcher func(rune) bool

func (f runMatcher) findAll(s string) ([]span, error) {
	var out []span
	start := -1
	for i, r := range s {
		if f(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out, nil
}

func isPunctuation(r rune) bool {
	if r < 0x80 {
		return r > ' ' && r < 0x7f && !isL(r) && !isN(r)
	}
	return unicode.IsPunct(r)
}

func isWordChar(r rune) bool {
	return isL(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Other_Alphabetic, r) ||
		r == 0x200C || r == 0x200D
}

// byteLevelPre maps text to GPT-2's byte alphabet, after an optional
// prefix space and an optional split by the GPT-2 pattern.
type byteLevelPre struct {
	addPrefixSpace bool
	m              matcher // nil: no split
}

// byteChars[b] is the character GPT-2's byte-level BPE uses for byte b.
var byteChars, charBytes = func() ([256]string, map[rune]byte) {
	var chars [256]string
	rev := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = rune(256 + n)
			n++
		}
		chars[b] = string(r)
		rev[r] = byte(b)
	}
	return chars, rev
}()

func byteLevelMap(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		n += len(byteChars[s[i]])
	}
	if n == len(s) {
		return s // every byte maps to itself
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		b = append(b, byteChars[s[i]]...)
	}
	return string(b)
}

func (bl byteLevelPre) preTokenize(in []pretok) ([]pretok, error) {
	out := make([]pretok, 0, len(in))
	for _, p := range in {
		if bl.addPrefixSpace && !strings.HasPrefix(p.s, " ") {
			p.s = " " + p.s
		}
		start := len(out)
		if bl.m != nil {
			spans, err := bl.m.findAll(p.s)
			if err != nil {
				return nil, err
			}
			out = splitPiece(out, p, spans, behIsolated, false)
		} else if p.s != "" {
			out = append(out, p)
		}
		for i := start; i < len(out); i++ {
			out[i].s = byteLevelMap(out[i].s)
		}
	}
	return out, nil
}

type metaspacePre struct {
	rep    string
	scheme string // always, first, never
	split  bool
}

func (ms metaspacePre) preTokenize(in []pretok) ([]pretok, error) {
	out := make([]pretok, 0, len(in))
	r, _ := utf8.DecodeRuneInString(ms.rep)
	for _, p := range in {
		p.s = strings.ReplaceAll(p.s, " ", ms.rep)
		if !strings.HasPrefix(p.s, ms.rep) && (ms.scheme == "always" || ms.scheme == "first" && p.first) {
			p.s = ms.rep + p.s
		}
		if !ms.split {
			if p.s != "" {
				out = append(out, p)
			}
			continue
		}
		spans, _ := charMatcher(func(c rune) bool { return c == r }).findAll(p.s)
		out = splitPiece(out, p, spans, behMergedWithNext, false)
	}
	return out, nil
}

type preSeq []preTokenizer

func (q preSeq) preTokenize(in []pretok) ([]pretok, error) {
	var err error
	for _, p := range q {
		if in, err = p.preTokenize(in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func boolOr(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}

func newPreTokenizer(raw json.RawMessage, field string, depth int) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	if depth > maxNesting {
		return nil, fmt.Errorf("%s: Sequence nested deeper than %d", field, maxNesting)
	}
	c, err := decodeComponent(raw, field)
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case "Split":
		if c.Pattern == nil {
			return nil, fmt.Errorf("%s.pattern: missing", field)
		}
		m, err := newPatternMatcher(*c.Pattern, field+".pattern")
		if err != nil {
			return nil, err
		}
		beh, err := parseBehavior(c.Behavior, field+".behavior")
		if err != nil {
			return nil, err
		}
		return splitPre{m, beh, c.Invert}, nil
	case "ByteLevel":
		bl := byteLevelPre{addPrefixSpace: boolOr(c.AddPrefixSpace, true)}
		if boolOr(c.UseRegex, true) {
			bl.m = fastMatcher(gpt2Pattern)
		}
		return bl, nil
	case "Metaspace":
		ms := metaspacePre{rep: "\u2581", scheme: "always", split: boolOr(c.Split, true)}
		if c.Replacement != nil {
			if utf8.RuneCountInString(*c.Replacement) != 1 {
				return nil, fmt.Errorf("%s.replacement: %q must be one character", field, *c.Replacement)
			}
			ms.rep = *c.Replacement
		}
		if c.PrependScheme != nil {
			ms.scheme = *c.PrependScheme
		} else if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			ms.scheme = "never"
		}
		switch ms.scheme {
		case "always", "first", "never":
		default:
			return nil, fmt.Errorf("%s.prepend_scheme: %q is not supported (supported: always, first, never)", field, ms.scheme)
		}
		return ms, nil
	case "Digits":
		if c.IndividualDigits {
			return splitPre{charMatcher(isN), behIsolated, false}, nil
		}
		return splitPre{charMatcher(isN), behContiguous, false}, nil
	case "Whitespace":
		// \w+|[^\w\s]+, keeping only the matches.
		m := runMatcher(isWordChar)
		other := runMatcher(func(r rune) bool { return !isWordChar(r) && !isWS(r) })
		return splitPre{unionMatcher{m, other}, behRemoved, true}, nil
	case "WhitespaceSplit":
		return splitPre{charMatcher(isWS), behRemoved, false}, nil
	case "Punctuation":
		beh := behIsolated
		if c.Behavior != "" {
			if beh, err = parseBehavior(c.Behavior, field+".behavior"); err != nil {
				return nil, err
			}
		}
		return splitPre{charMatcher(isPunctuation), beh, false}, nil
	case "BertPreTokenizer":
		return preSeq{
			splitPre{charMatcher(isWS), behRemoved, false},
			splitPre{charMatcher(isPunctuation), behIsolated, false},
		}, nil
	case "Sequence":
		var q preSeq
		for i, sub := range c.PreTokenizers {
			p, err := newPreTokenizer(sub, fmt.Sprintf("%s.pretokenizers[%d]", field, i), depth+1)
			if err != nil {
				return nil, err
			}
			if p != nil {
				q = append(q, p)
			}
		}
		return q, nil
	}
	return nil, fmt.Errorf("%s.type: %q is not supported (supported: Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, Sequence)", field, c.Type)
}

// unionMatcher merges the matches of two matchers over disjoint character
// sets (used by Whitespace).
type unionMatcher struct{ a, b matcher }

func (u unionMatcher) findAll(s string) ([]span, error) {
	x, _ := u.a.findAll(s)
	y, _ := u.b.findAll(s)
	out := make([]span, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		if j >= len(y) || i < len(x) && x[i].start < y[j].start {
			out = append(out, x[i])
			i++
		} else {
			out = append(out, y[j])
			j++
		}
	}
	return out, nil
}

// ---- Post-processors ----

type postProcessor interface {
	// process adds special tokens to the encodings (one, or two for a pair).
	process(encs [][]int32, addSpecial bool) [][]int32
}

type identityPost struct{}

func (identityPost) process(encs [][]int32, _ bool) [][]int32 { return encs }

type templatePost struct {
	single, pair []templateItem
}

type templateItem struct {
	ids []int32 // a special token's ids, or nil for a sequence
	seq int     // 0 for A, 1 for B
}

func (t templatePost) process(encs [][]int32, addSpecial bool) [][]int32 {
	if !addSpecial {
		return encs
	}
	tmpl := t.single
	if len(encs) > 1 {
		tmpl = t.pair
	}
	var out []int32
	for _, it := range tmpl {
		if it.ids != nil {
			out = append(out, it.ids...)
		} else if it.seq < len(encs) {
			out = append(out, encs[it.seq]...)
		}
	}
	return [][]int32{out}
}

type postSeq []postProcessor

func (q postSeq) process(encs [][]int32, addSpecial bool) [][]int32 {
	for _, p := range q {
		encs = p.process(encs, addSpecial)
	}
	return encs
}

func parseTemplate(items []hfTemplatePiece, specials map[string]hfTemplateSpecialTok, field string) ([]templateItem, error) {
	var out []templateItem
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case it.SpecialToken != nil:
			st, ok := specials[it.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("%s.SpecialToken.id: %q is not in special_tokens", f, it.SpecialToken.ID)
			}
			ids := append([]int32{}, st.IDs...)
			for _, id := range ids {
				if id < 0 {
					return nil, fmt.Errorf("%s: special token %q has negative id %d", f, it.SpecialToken.ID, id)
				}
			}
			out = append(out, templateItem{ids: ids})
		case it.Sequence != nil:
			switch it.Sequence.ID {
			case "A":
				out = append(out, templateItem{seq: 0})
			case "B":
				out = append(out, templateItem{seq: 1})
			default:
				return nil, fmt.Errorf("%s.Sequence.id: %q is not supported (supported: A, B)", f, it.Sequence.ID)
			}
		default:
			return nil, fmt.Errorf("%s: want {\"SpecialToken\": ...} or {\"Sequence\": ...}", f)
		}
	}
	return out, nil
}

// tokenPair reads [token, id] of BertProcessing/RobertaProcessing.
func tokenPair(p *[2]json.RawMessage, field string) ([]int32, error) {
	if p == nil {
		return nil, fmt.Errorf("%s: missing (want [token, id])", field)
	}
	var id int32
	if err := json.Unmarshal(p[1], &id); err != nil || id < 0 {
		return nil, fmt.Errorf("%s[1]: want a non-negative id", field)
	}
	return []int32{id}, nil
}

func newPostProcessor(raw json.RawMessage, field string, depth int) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	if depth > maxNesting {
		return nil, fmt.Errorf("%s: Sequence nested deeper than %d", field, maxNesting)
	}
	c, err := decodeComponent(raw, field)
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case "ByteLevel":
		return identityPost{}, nil
	case "TemplateProcessing":
		single, err := parseTemplate(c.Single, c.SpecialTokens, field+".single")
		if err != nil {
			return nil, err
		}
		pair, err := parseTemplate(c.Pair, c.SpecialTokens, field+".pair")
		if err != nil {
			return nil, err
		}
		return templatePost{single, pair}, nil
	case "BertProcessing", "RobertaProcessing":
		cls, err := tokenPair(c.Cls, field+".cls")
		if err != nil {
			return nil, err
		}
		sep, err := tokenPair(c.Sep, field+".sep")
		if err != nil {
			return nil, err
		}
		t := templatePost{single: []templateItem{{ids: cls}, {seq: 0}, {ids: sep}}}
		t.pair = append(append([]templateItem{}, t.single...), templateItem{seq: 1}, templateItem{ids: sep})
		if c.Type == "RobertaProcessing" {
			t.pair = []templateItem{{ids: cls}, {seq: 0}, {ids: sep}, {ids: sep}, {seq: 1}, {ids: sep}}
		}
		return t, nil
	case "Sequence":
		var q postSeq
		for i, sub := range c.Processors {
			p, err := newPostProcessor(sub, fmt.Sprintf("%s.processors[%d]", field, i), depth+1)
			if err != nil {
				return nil, err
			}
			if p != nil {
				q = append(q, p)
			}
		}
		return q, nil
	}
	return nil, fmt.Errorf("%s.type: %q is not supported (supported: TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence)", field, c.Type)
}

// ---- Decoders ----

type decoder interface {
	decodeChain(tokens []string) []string
}

type decoderFunc func([]string) []string

func (f decoderFunc) decodeChain(t []string) []string { return f(t) }

// appendLossy appends b with each maximal invalid UTF-8 subsequence
// replaced by U+FFFD, as Rust's String::from_utf8_lossy does.
func appendLossy(dst []byte, b []byte) []byte {
	for len(b) > 0 {
		r, w := utf8.DecodeRune(b)
		if r != utf8.RuneError || w > 1 {
			dst = append(dst, b[:w]...)
			b = b[w:]
			continue
		}
		// Consume the longest prefix that could start a valid sequence.
		n := 1
		c := b[0]
		need := 0
		lo, hi := byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		}
		for k := 0; k < need && n < len(b); k++ {
			if b[n] < lo || b[n] > hi {
				break
			}
			n++
			lo, hi = 0x80, 0xBF
		}
		dst = append(dst, "\uFFFD"...)
		b = b[n:]
	}
	return dst
}

func byteLevelDecode(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		start := len(buf)
		ok := true
		for _, r := range t {
			b, in := charBytes[r]
			if !in {
				ok = false
				break
			}
			buf = append(buf, b)
		}
		if !ok {
			buf = append(buf[:start], t...)
		}
	}
	return []string{string(appendLossy(nil, buf))}
}

func byteFallbackDecode(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if b, ok := parseByteToken(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// parseByteToken reads "<0xNN>" as Rust's u8::from_str_radix(NN, 16) does.
func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	hex := t[3:5]
	if hex[0] == '+' {
		hex = hex[1:]
	}
	v := 0
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return byte(v), true
}

func stripDecoder(content rune, start, stop int) decoder {
	return decoderFunc(func(tokens []string) []string {
		out := make([]string, len(tokens))
		for i, t := range tokens {
			rs := []rune(t)
			a := 0
			for a < start && a < len(rs) && rs[a] == content {
				a++
			}
			b := len(rs)
			for k := 0; k < stop && b > 0 && rs[b-1] == content; k++ {
				b--
			}
			if b < a {
				b = a
			}
			out[i] = string(rs[a:b])
		}
		return out
	})
}

type decSeq []decoder

func (q decSeq) decodeChain(t []string) []string {
	for _, d := range q {
		t = d.decodeChain(t)
	}
	return t
}

func newDecoder(raw json.RawMessage, field string, depth int) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	if depth > maxNesting {
		return nil, fmt.Errorf("%s: Sequence nested deeper than %d", field, maxNesting)
	}
	c, err := decodeComponent(raw, field)
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case "ByteLevel":
		return decoderFunc(byteLevelDecode), nil
	case "ByteFallback":
		return decoderFunc(byteFallbackDecode), nil
	case "Fuse":
		return decoderFunc(func(t []string) []string { return []string{strings.Join(t, "")} }), nil
	case "Strip":
		if c.Content == nil || utf8.RuneCountInString(*c.Content) != 1 {
			return nil, fmt.Errorf("%s.content: want one character", field)
		}
		r, _ := utf8.DecodeRuneInString(*c.Content)
		start, stop := 0, 0
		if c.Start != nil {
			start = *c.Start
		}
		if c.Stop != nil {
			stop = *c.Stop
		}
		return stripDecoder(r, start, stop), nil
	case "Replace":
		if c.Pattern == nil {
			return nil, fmt.Errorf("%s.pattern: missing", field)
		}
		m, err := newPatternMatcher(*c.Pattern, field+".pattern")
		if err != nil {
			return nil, err
		}
		content := ""
		if c.Content != nil {
			content = *c.Content
		}
		return decoderFunc(func(t []string) []string {
			out := make([]string, len(t))
			for i, s := range t {
				r, err := replaceAll(s, m, content)
				if err != nil {
					r = s
				}
				out[i] = r
			}
			return out
		}), nil
	case "Metaspace":
		rep := '\u2581'
		if c.Replacement != nil {
			if utf8.RuneCountInString(*c.Replacement) != 1 {
				return nil, fmt.Errorf("%s.replacement: %q must be one character", field, *c.Replacement)
			}
			rep, _ = utf8.DecodeRuneInString(*c.Replacement)
		}
		prefix := true
		if c.PrependScheme != nil {
			prefix = *c.PrependScheme != "never"
		} else if c.AddPrefixSpace != nil {
			prefix = *c.AddPrefixSpace
		}
		return decoderFunc(func(t []string) []string {
			out := make([]string, len(t))
			for i, s := range t {
				s = strings.ReplaceAll(s, string(rep), " ")
				if i == 0 && prefix {
					s = strings.TrimPrefix(s, " ")
				}
				out[i] = s
			}
			return out
		}), nil
	case "BPEDecoder":
		suffix := "</w>"
		if c.Suffix != nil {
			suffix = *c.Suffix
		}
		return decoderFunc(func(t []string) []string {
			out := make([]string, len(t))
			for i, s := range t {
				rep := " "
				if i == len(t)-1 {
					rep = ""
				}
				if suffix != "" {
					s = strings.ReplaceAll(s, suffix, rep)
				}
				out[i] = s
			}
			return out
		}), nil
	case "Sequence":
		var q decSeq
		for i, sub := range c.Decoders {
			d, err := newDecoder(sub, fmt.Sprintf("%s.decoders[%d]", field, i), depth+1)
			if err != nil {
				return nil, err
			}
			if d != nil {
				q = append(q, d)
			}
		}
		return q, nil
	}
	return nil, fmt.Errorf("%s.type: %q is not supported (supported: ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, BPEDecoder, Sequence)", field, c.Type)
}
