package verify

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxAnswerBytes caps an extracted answer and a reference answer: Check
// grades a longer one incorrect (ReasonAnswerTooLong, ReasonGoldTooLong)
// and never compares a prefix of it.
const MaxAnswerBytes = 2000

var (
	reTextWrap   = regexp.MustCompile(`\\(?:text|textbf|textit|mathrm|mathbf|mathit|mbox|operatorname|textrm|mathsf|texttt)\s*\{([^{}]*)\}`)
	reThousands  = regexp.MustCompile(`^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$`)
	reNumUnit    = regexp.MustCompile(`^(-?\$?\s*[\d.,]+(?:\s*/\s*\d+)?)\s*([a-zA-Z][a-zA-Z .\-/²³^0-9]*)$`)
	reDegree     = regexp.MustCompile(`\^\s*\{?\s*\\circ\s*\}?|°|\\degree`)
	reSqrtShort  = regexp.MustCompile(`\\sqrt\s*([0-9a-zA-Z])`)
	reFracShort  = regexp.MustCompile(`\\frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])`)
	reFracHalf   = regexp.MustCompile(`\\frac\s*\{([^{}]*)\}\s*([0-9a-zA-Z])`)
	reVarAssign  = regexp.MustCompile(`^[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?\s*(?:=|\\in)\s*`)
	reSpaces     = regexp.MustCompile(`\s+`)
	reExponent   = regexp.MustCompile(`^[eE][+-]?\d+$`)
	reNumWords   = regexp.MustCompile(`^(-?\$?\s*[\d.,]*\d(?:\s*/\s*\d+)?)\s+[a-zA-Z]{2,}\b`)
	reSubscript  = regexp.MustCompile(`_\{([0-9a-zA-Z]+)\}`)
	reMixed      = regexp.MustCompile(`^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$`)
	reTrailZeros = regexp.MustCompile(`^(-?\d+\.\d*?)0+$`)
)

// spacers removes LaTeX spacing and sizing and maps synonyms to one form.
var spacers = strings.NewReplacer(
	`\\`, `\\`, // a LaTeX row break stays whole (listed first, so it wins)
	`\left`, "", `\right`, "", `\!`, "", `\,`, "", `\;`, "", `\:`, "", `\ `, " ", `\quad`, " ", `\qquad`, " ",
	`\displaystyle`, "", `\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cdot`, `*`, `\times`, `*`, `\div`, `/`,
	`{,}`, ",", `\$`, "", `\%`, "%", "−", "-", "–", "-", "\u00a0", " ",
)

// Normalize canonicalises an answer string: it strips math delimiters and
// LaTeX spacing, unwraps \text{} and friends, turns \dfrac and \tfrac into
// \frac, drops degree marks, a leading "x =", thousands separators, units
// after a number, trailing full stops and question marks, and all
// whitespace. Unicode decimal digits (fullwidth ３, Arabic-Indic ٣, ...)
// become ASCII digits: they are the same digits, so neither a trick nor a
// reason to fail. An answer over MaxAnswerBytes only loses its whitespace
// (never its tail).
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxAnswerBytes {
		return reSpaces.ReplaceAllString(s, "")
	}
	s = asciiDigits(s)
	s = stripDelims(s)
	s = spacers.Replace(s)
	for i := 0; i < 4 && reTextWrap.MatchString(s); i++ {
		s = reTextWrap.ReplaceAllString(s, "$1")
	}
	s = reDegree.ReplaceAllString(s, "")
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ".?")
	s = strings.TrimSpace(s)
	if loc := reVarAssign.FindStringIndex(s); loc != nil && !strings.Contains(s[loc[1]:], "=") {
		s = s[loc[1]:]
	}
	if m := reNumWords.FindStringSubmatch(s); m != nil && !strings.Contains(s, `\`) {
		s = m[1] // "18 because ..." or "18 eggs per day"
	} else if m := reNumUnit.FindStringSubmatch(s); m != nil && !strings.ContainsAny(m[2], "=") && !isSingleVar(m[2]) && !reExponent.MatchString(m[2]) {
		s = m[1]
	}
	s = strings.ReplaceAll(s, "$", "")
	s = strings.TrimSpace(s)
	if reThousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	s = reSqrtShort.ReplaceAllString(s, `\sqrt{$1}`)
	s = reFracShort.ReplaceAllString(s, `\frac{$1}{$2}`)
	s = reFracHalf.ReplaceAllString(s, `\frac{$1}{$2}`)
	s = reSpaces.ReplaceAllString(s, "")
	s = reSubscript.ReplaceAllString(s, "_$1")
	if m := reMixed.FindStringSubmatch(s); m != nil {
		// A mixed number such as 2\frac{1}{2} is 5/2, not 2 times 1/2.
		w, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		d, _ := strconv.Atoi(m[4])
		if d > 0 && n < d && w < 1e6 && d < 1e6 {
			s = fmt.Sprintf(`%s\frac{%d}{%d}`, m[1], w*d+n, d)
		}
	}
	if m := reTrailZeros.FindStringSubmatch(s); m != nil {
		s = strings.TrimSuffix(m[1], ".")
	}
	return s
}

// isSingleVar reports whether a trailing word is a lone variable letter,
// as in "3x" or "5 i", which is part of the expression, not a unit.
func isSingleVar(w string) bool {
	w = strings.TrimSpace(w)
	letters := 0
	for _, c := range w {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			letters++
		} else {
			break
		}
	}
	return letters <= 1
}

// stripDelims removes surrounding $...$, \(...\), \[...\] and a trailing
// sentence full stop inside them.
func stripDelims(s string) string {
	for {
		t := strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(t, "$$") && strings.HasSuffix(t, "$$") && len(t) >= 4:
			t = t[2 : len(t)-2]
		case strings.HasPrefix(t, "$") && strings.HasSuffix(t, "$") && len(t) >= 2:
			t = t[1 : len(t)-1]
		case strings.HasPrefix(t, `\(`) && strings.HasSuffix(t, `\)`):
			t = t[2 : len(t)-2]
		case strings.HasPrefix(t, `\[`) && strings.HasSuffix(t, `\]`):
			t = t[2 : len(t)-2]
		default:
			return t
		}
		s = t
	}
}

// asciiDigits maps every Unicode decimal digit (category Nd) to its ASCII
// digit, leaving every other byte as it is (invalid UTF-8 included). Nd
// digits come in runs of ten starting at a zero, so a digit's value is its
// offset from the start of its run, modulo 10.
func asciiDigits(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= utf8.RuneSelf && unicode.Is(unicode.Nd, r) {
			z := r
			for unicode.Is(unicode.Nd, z-1) {
				z--
			}
			b.WriteByte(byte('0' + (r-z)%10))
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
