package tokenizer

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// regexTimeout bounds one regex search, so a catastrophic pattern in an
// untrusted tokenizer.json gives an error instead of a hang.
const regexTimeout = 2 * time.Second

// span is a byte range [start, end) of a string.
type span struct{ start, end int }

// matcher finds the non-overlapping matches of a pattern, left to right, as
// Oniguruma's find_iter does for the Rust library (an empty match right
// after the previous match is skipped; the search moves one character past
// an empty match).
type matcher interface {
	findAll(s string) ([]span, error)
}

// literalMatcher matches a fixed string (pattern {"String": ...}).
type literalMatcher struct{ lit string }

func (m literalMatcher) findAll(s string) ([]span, error) {
	if m.lit == "" {
		return nil, nil
	}
	var out []span
	for i := 0; ; {
		j := strings.Index(s[i:], m.lit)
		if j < 0 {
			return out, nil
		}
		out = append(out, span{i + j, i + j + len(m.lit)})
		i += j + len(m.lit)
	}
}

// regexMatcher runs an Oniguruma-style pattern with regexp2, which has the
// lookaheads ((?!\S)) that Go's regexp lacks.
type regexMatcher struct {
	re  *regexp2.Regexp
	src string
}

func compileRegex(src string) (*regexMatcher, error) {
	// Oniguruma (Ruby syntax) treats ^ and $ as line anchors: Multiline.
	re, err := regexp2.Compile(src, regexp2.Multiline)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexTimeout
	return &regexMatcher{re: re, src: src}, nil
}

func (m *regexMatcher) findAll(s string) ([]span, error) {
	if s == "" {
		return nil, nil
	}
	runes := []rune(s)
	// byteAt[i] is the byte offset of rune i (len(runes) maps to len(s)).
	// []rune(s) turns invalid bytes into U+FFFD of width 3; inputs are made
	// valid UTF-8 before they get here, so widths agree.
	byteAt := make([]int, len(runes)+1)
	b := 0
	for i, r := range runes {
		byteAt[i] = b
		b += utf8.RuneLen(r)
	}
	byteAt[len(runes)] = b
	var out []span
	pos, lastEnd := 0, -1
	for pos <= len(runes) {
		mt, err := m.re.FindRunesMatchStartingAt(runes, pos)
		if err != nil {
			return nil, fmt.Errorf("regex %q: %w", m.src, err)
		}
		if mt == nil {
			break
		}
		start, end := mt.Index, mt.Index+mt.Length
		if start == end {
			if start != lastEnd {
				out = append(out, span{byteAt[start], byteAt[end]})
			}
			pos = end + 1
			continue
		}
		out = append(out, span{byteAt[start], byteAt[end]})
		pos, lastEnd = end, end
	}
	return out, nil
}

// Known GPT-2-family split patterns, matched by hand (regexp2 backtracks
// and is several times slower). Each is checked against regexp2 in tests.
const (
	gpt2Pattern   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwenPattern   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// gptMatcher is the hand-written matcher of the patterns above.
type gptMatcher struct {
	llama     bool // the Llama-3/Qwen form (else GPT-2)
	maxDigits int  // digits per number match: 0 means unbounded
}

// fastMatcher returns a hand-written matcher for a known pattern, or nil.
func fastMatcher(src string) matcher {
	switch src {
	case gpt2Pattern:
		return &gptMatcher{}
	case llama3Pattern:
		return &gptMatcher{llama: true, maxDigits: 3}
	case qwenPattern:
		return &gptMatcher{llama: true, maxDigits: 1}
	}
	return nil
}

// newPatternMatcher builds the matcher of a Split/Replace pattern.
func newPatternMatcher(p hfPattern, field string) (matcher, error) {
	switch {
	case p.String != nil && p.Regex != nil:
		return nil, fmt.Errorf("%s: has both String and Regex (want one)", field)
	case p.String != nil:
		return literalMatcher{*p.String}, nil
	case p.Regex != nil:
		if m := fastMatcher(*p.Regex); m != nil {
			return m, nil
		}
		m, err := compileRegex(*p.Regex)
		if err != nil {
			return nil, fmt.Errorf("%s.Regex: %w", field, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s: want {\"String\": ...} or {\"Regex\": ...}", field)
}

func isWS(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(unicode.White_Space, r)
}

func isL(r rune) bool {
	if r < 0x80 {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z'
	}
	return unicode.IsLetter(r)
}

func isN(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9'
	}
	return unicode.IsNumber(r)
}

func (m *gptMatcher) findAll(s string) ([]span, error) {
	var out []span
	for i := 0; i < len(s); {
		n := m.matchAt(s, i)
		if n == 0 {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		}
		out = append(out, span{i, i + n})
		i += n
	}
	return out, nil
}

// at decodes the rune at byte i (RuneError, 0 at the end).
func at(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// run returns the byte length of the longest run of runes satisfying f from i.
func run(s string, i int, f func(rune) bool, max int) int {
	j, n := i, 0
	for j < len(s) && (max == 0 || n < max) {
		r, w := at(s, j)
		if !f(r) {
			break
		}
		j += w
		n++
	}
	return j - i
}

func isPunctClass(r rune) bool { return !isWS(r) && !isL(r) && !isN(r) }

// matchAt returns the length in bytes of the match at byte i, or 0.
func (m *gptMatcher) matchAt(s string, i int) int {
	r, w := at(s, i)
	// Contractions.
	if r == '\'' && i+1 < len(s) {
		lower := func(c byte) byte {
			if m.llama && c >= 'A' && c <= 'Z' {
				return c + 32
			}
			return c
		}
		c1 := lower(s[i+1])
		switch c1 {
		case 's', 't', 'm', 'd':
			return 2
		case 'r', 'v', 'l':
			if i+2 < len(s) {
				c2 := lower(s[i+2])
				if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
					return 3
				}
			}
		}
	}
	// Letters, with an optional leading character.
	if isL(r) {
		return run(s, i, isL, 0)
	}
	if m.llama {
		if r != '\r' && r != '\n' && !isN(r) {
			if r2, _ := at(s, i+w); i+w < len(s) && isL(r2) {
				return w + run(s, i+w, isL, 0)
			}
		}
	} else if r == ' ' {
		if r2, _ := at(s, i+1); i+1 < len(s) && isL(r2) {
			return 1 + run(s, i+1, isL, 0)
		}
	}
	// Numbers.
	if isN(r) {
		return run(s, i, isN, m.maxDigits)
	}
	if !m.llama && r == ' ' {
		if r2, _ := at(s, i+1); i+1 < len(s) && isN(r2) {
			return 1 + run(s, i+1, isN, 0)
		}
	}
	// Punctuation and symbols, with an optional leading space.
	j := i
	if r == ' ' {
		j++
	}
	if r2, _ := at(s, j); j < len(s) && isPunctClass(r2) {
		j += run(s, j, isPunctClass, 0)
		if m.llama {
			j += run(s, j, func(r rune) bool { return r == '\r' || r == '\n' }, 0)
		}
		return j - i
	}
	if !isWS(r) {
		return 0
	}
	ws := run(s, i, isWS, 0)
	if m.llama {
		// \s*[\r\n]+ : up to the last \r or \n of the whitespace run.
		last := -1
		for k := i; k < i+ws; {
			c, cw := at(s, k)
			if c == '\r' || c == '\n' {
				last = k + cw
			}
			k += cw
		}
		if last > 0 {
			return last - i
		}
	}
	// \s+(?!\S) then \s+.
	if i+ws == len(s) {
		return ws
	}
	_, lw := utf8.DecodeLastRuneInString(s[i : i+ws])
	if ws > lw {
		return ws - lw
	}
	return ws
}
