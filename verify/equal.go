package verify

import (
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	reChoice    = regexp.MustCompile(`^\(?([A-Ea-e])\)?$`)
	reChoiceAny = regexp.MustCompile(`^\(?([A-E])(?:\)|\.|:|$)`)
	reMatrix    = regexp.MustCompile(`^\\begin\{[pbvB]?matrix\}(.*)\\end\{[pbvB]?matrix\}$`)
	reRational  = regexp.MustCompile(`^([-+]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4})|\*10\^\{?([+-]?\d{1,4})\}?)?$`)
	reBadNumber = regexp.MustCompile(`(?i)^[+-]?(?:nan|inf|infinity|\\infty|(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d{5,})$`)
	reAlt       = regexp.MustCompile(`(?i)\s*\b(or|and)\b\s*`)
	reEither    = regexp.MustCompile(`(?i)^\s*either\b`)
	reHedgeWord = regexp.MustCompile(`(?i)\d[^0-9]*?\b(?:but|maybe|perhaps|possibly|probably|not|unless|else|otherwise|alternatively|vs|versus|nor|instead)\b.*\d`)
	reFracNum   = regexp.MustCompile(`^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$`)
	reSlashNum  = regexp.MustCompile(`^(-?\d+(?:\.\d+)?)/(-?\d+(?:\.\d+)?)$`)
)

// Equivalent reports whether a predicted answer means the same as the
// reference answer. Both are normalised first; then, in order: equal
// strings (case-insensitive for words), multiple-choice letters, matrices,
// sets, intervals and tuples, unordered lists, percentages, equations,
// exact rational numbers, and symbolic expressions compared at random
// complex points. It is the first result of Check, whose rules (hedges,
// over-long answers, ...) it applies.
func Equivalent(pred, gold string) bool {
	ok, _ := Check(pred, gold)
	return ok
}

// Check reports whether the extracted answer pred is equivalent to the
// reference answer gold (already reduced, as by GoldAnswer) and, when it
// is not, why: one of the Reason* constants. Beyond Equivalent's matching
// it rejects answers that would fool it:
//
//   - pred or gold over MaxAnswerBytes: ReasonAnswerTooLong (checked
//     first) or ReasonGoldTooLong, even when they are equal;
//   - a hedge: pred, with \text{} unwrapped, contains the word "or" (as in
//     "3 or 4", "either 3 or 4", "x=3 \text{ or } x=4") and its parts are
//     not all equivalent to gold: ReasonHedge when two parts differ.
//     Parts that restate one value ("15\frac{39}{40} or \frac{639}{40}")
//     are not a hedge. The word "and" splits the same way, a list
//     ("3 and 4"): ReasonCandidateList when its parts differ. When gold
//     is itself a comma list ("3, 4"), "or" and "and" are list separators
//     ("x=3 or x=4" is that list); when gold contains the word itself
//     nothing is split. Fractions ("3/4", "3/4?"), intervals, tuples and
//     sets are not hedges: they are one value;
//   - a hedge in words: a number, then one of "but", "maybe", "perhaps",
//     "possibly", "probably", "not", "unless", "else", "otherwise",
//     "alternatively", "vs", "versus", "nor", "instead", then another
//     number ("18 but maybe 19", "18, not 19"): ReasonHedge. (Without
//     this, Normalize's "18 because ..." rule would read it as 18.)
//   - a multiple-choice answer naming two different letters ("(B)(C)",
//     "B. C."): ReasonHedge;
//   - a comma list against a single-valued gold ("1, 2, 3, 4, 5, ..."):
//     ReasonCandidateList;
//   - NaN, Inf, Infinity, or scientific notation with an exponent of more
//     than 4 digits ("1e999999"), unless pred and gold are the same
//     string: ReasonNotANumber;
//   - a numeric gold (integer, decimal, fraction, percent, scientific) is
//     matched only by a number, never by an expression that evaluates to
//     it ("3+4", "5!", "\sqrt[3]{8}" for 2): ReasonUnsimplified;
//   - a word of three or more letters ("Evelyn") is compared as text,
//     never as a product of variables, so an anagram does not match.
//
// Unicode decimal digits are normalised to ASCII (see Normalize).
func Check(pred, gold string) (bool, string) {
	pred, gold = strings.TrimSpace(pred), strings.TrimSpace(gold)
	if len(pred) > MaxAnswerBytes {
		return false, ReasonAnswerTooLong
	}
	if len(gold) > MaxAnswerBytes {
		return false, ReasonGoldTooLong
	}
	if pred == "" {
		return false, ReasonNoAnswer
	}
	g := Normalize(gold)
	if reHedgeWord.MatchString(pred) && !reHedgeWord.MatchString(gold) {
		return false, ReasonHedge // "18 but maybe 19", "18, not 19"
	}
	p := ""
	if parts, sep := alternatives(pred, gold); len(parts) > 1 {
		if isList(g) {
			norm := make([]string, len(parts))
			for i, part := range parts {
				norm[i] = Normalize(part)
			}
			p = strings.Join(norm, ",")
		} else {
			all, differ := true, false
			first := Normalize(parts[0])
			for _, part := range parts {
				q := Normalize(part)
				if !equivChecked(q, g) {
					all = false
				}
				if !equivNorm(q, first, 0) && !equivNorm(first, q, 0) {
					differ = true
				}
			}
			switch {
			case all:
				return true, ""
			case !differ:
				return false, ReasonMismatch
			case strings.EqualFold(sep, "or"):
				return false, ReasonHedge
			default:
				return false, ReasonCandidateList
			}
		}
	} else {
		p = Normalize(pred)
	}
	if p == g {
		return true, ""
	}
	if reBadNumber.MatchString(p) {
		return false, ReasonNotANumber
	}
	if m := reChoice.FindStringSubmatch(g); m != nil && isChoiceContext(g) && choiceLetters(p) > 1 {
		return false, ReasonHedge
	}
	if equivNorm(p, g, 0) {
		return true, ""
	}
	if !isList(g) && len(splitTop(p, ',')) > 1 {
		return false, ReasonCandidateList
	}
	if _, ok := rational(g); ok {
		if pe, _, err := parseExpr(p); err == nil {
			if ge, _, err := parseExpr(g); err == nil && exprEqual(pe, ge) {
				return false, ReasonUnsimplified
			}
		}
	}
	return false, ReasonMismatch
}

// equivChecked is the single-value part of Check on normalised strings.
func equivChecked(p, g string) bool {
	if p == g {
		return true
	}
	if reBadNumber.MatchString(p) {
		return false
	}
	if reChoice.MatchString(g) && isChoiceContext(g) && choiceLetters(p) > 1 {
		return false
	}
	return equivNorm(p, g, 0)
}

// alternatives splits pred at the words "or" and "and" (after unwrapping
// \text{} and dropping a leading "either"), returning the non-empty parts
// and the first separator; nil when there is at most one part or gold
// itself uses the word.
func alternatives(pred, gold string) ([]string, string) {
	if !strings.Contains(pred, "or") && !strings.Contains(pred, "and") && !strings.Contains(pred, "OR") && !strings.Contains(pred, "AND") &&
		!strings.Contains(pred, "Or") && !strings.Contains(pred, "And") {
		return nil, ""
	}
	t := pred
	for i := 0; i < 4 && reTextWrap.MatchString(t); i++ {
		t = reTextWrap.ReplaceAllString(t, " $1 ")
	}
	locs := reAlt.FindAllStringSubmatchIndex(t, -1)
	if len(locs) == 0 {
		return nil, ""
	}
	sep := t[locs[0][2]:locs[0][3]]
	if reAlt.MatchString(gold) {
		return nil, ""
	}
	var parts []string
	start := 0
	for _, l := range locs {
		parts = append(parts, t[start:l[0]])
		start = l[1]
	}
	parts = append(parts, t[start:])
	parts[0] = reEither.ReplaceAllString(parts[0], "")
	out := parts[:0]
	for _, part := range parts {
		if q := strings.TrimSpace(part); q != "" && Normalize(q) != "" {
			out = append(out, q)
		}
	}
	if len(out) < 2 {
		return nil, ""
	}
	return out, sep
}

// isList reports whether a normalised answer is a bare comma list such as
// "3,4" (not a tuple, interval or set, which are one value).
func isList(g string) bool {
	if _, _, _, ok := bracketed(g); ok {
		return false
	}
	if _, ok := setElements(g); ok {
		return false
	}
	return len(splitTop(g, ',')) > 1
}

// choiceLetters counts the distinct multiple-choice letters A-E in a
// normalised answer: a letter not inside a word and followed by ")", ".",
// ":", ",", "/", "&" or the end ("(B)(C)", "B.C.", "B,C").
func choiceLetters(p string) int {
	seen := 0
	u := strings.ToUpper(p)
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c < 'A' || c > 'E' || (i > 0 && isLetter(u[i-1])) {
			continue
		}
		if i+1 == len(u) || strings.IndexByte(").:,/&", u[i+1]) >= 0 {
			seen |= 1 << (c - 'A')
		}
	}
	n := 0
	for ; seen != 0; seen &= seen - 1 {
		n++
	}
	return n
}

func equivNorm(p, g string, depth int) bool {
	if p == g {
		return true
	}
	if p == "" || g == "" || depth > 4 || len(p) > MaxAnswerBytes || len(g) > MaxAnswerBytes {
		return false
	}
	if strings.EqualFold(p, g) && !hasDigit(g) && utf8.ValidString(p) && utf8.ValidString(g) {
		return true // (EqualFold reads every invalid byte as the same U+FFFD)
	}
	if reBadNumber.MatchString(p) || reBadNumber.MatchString(g) {
		return false // NaN, Inf, 1e999999: only the same string matches
	}
	if m := reChoice.FindStringSubmatch(g); m != nil && isChoiceContext(g) {
		if pm := reChoiceAny.FindStringSubmatch(strings.ToUpper(p)); pm != nil {
			return strings.EqualFold(pm[1], m[1])
		}
	}
	if pm, gm := reMatrix.FindStringSubmatch(p), reMatrix.FindStringSubmatch(g); pm != nil || gm != nil {
		if pm == nil || gm == nil {
			return false
		}
		return cellsEqual(matrixCells(pm[1]), matrixCells(gm[1]), true, depth)
	}
	if ps, ok := setElements(g); ok {
		qs, ok := setElements(p)
		return ok && cellsEqual(qs, ps, false, depth)
	}
	if gl, gr, gs, ok := bracketed(g); ok {
		if pl, pr, ps, ok := bracketed(p); ok {
			return pl == gl && pr == gr && cellsEqual(ps, gs, true, depth)
		}
		if len(gs) > 1 {
			return false
		}
	}
	if gs := splitTop(g, ','); len(gs) > 1 {
		ps := splitTop(p, ',')
		if _, _, inner, ok := bracketed(p); ok && len(ps) == 1 {
			ps = inner // "(1, 2)" for the list "1,2"
		}
		return cellsEqual(ps, gs, false, depth)
	}
	if strings.Contains(g, `\cup`) {
		return cellsEqual(strings.Split(p, `\cup`), strings.Split(g, `\cup`), false, depth)
	}
	if strings.HasSuffix(p, "%") || strings.HasSuffix(g, "%") {
		p2, g2 := strings.TrimSuffix(p, "%"), strings.TrimSuffix(g, "%")
		if equivNorm(p2, g2, depth+1) {
			return true
		}
		// "50%" also means 0.5.
		if x, ok := rational(p2); ok {
			if y, ok := rational(g2); ok {
				h := big.NewRat(1, 100)
				return (strings.HasSuffix(p, "%") && new(big.Rat).Mul(x, h).Cmp(y) == 0) ||
					(strings.HasSuffix(g, "%") && new(big.Rat).Mul(y, h).Cmp(x) == 0)
			}
		}
		return false
	}
	if strings.Count(g, "=") == 1 && strings.Count(p, "=") == 1 {
		gl, gr, _ := strings.Cut(g, "=")
		pl, pr, _ := strings.Cut(p, "=")
		return (equivNorm(pl, gl, depth+1) && equivNorm(pr, gr, depth+1)) ||
			(equivNorm(pl, gr, depth+1) && equivNorm(pr, gl, depth+1))
	}
	if x, ok := rational(p); ok {
		if y, ok := rational(g); ok {
			return x.Cmp(y) == 0
		}
	}
	if isWord(p) || isWord(g) {
		return false // text: "Evelyn" is not the product E*v*e*l*y*n
	}
	if _, ok := rational(g); ok {
		return false // a number is answered by a number, not by "3+4"
	}
	pe, _, err1 := parseExpr(p)
	ge, _, err2 := parseExpr(g)
	if err1 == nil && err2 == nil {
		return exprEqual(pe, ge)
	}
	return false
}

// isWord reports whether s is a plain word of three or more ASCII letters.
func isWord(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// isChoiceContext reports whether a one-letter reference is a choice such
// as "(B)" or "C" (upper case), not a variable such as "x".
func isChoiceContext(g string) bool {
	return strings.HasPrefix(g, "(") || (len(g) == 1 && g[0] >= 'A' && g[0] <= 'E')
}

// rational parses an exact number: integer, decimal, scientific notation
// (1.2e3, or 1.2*10^{3} as Normalize writes 1.2\times10^{3}), a/b, or
// \frac{a}{b}.
func rational(s string) (*big.Rat, bool) {
	if m := reRational.FindStringSubmatch(s); m != nil {
		r, ok := new(big.Rat).SetString(m[2])
		if !ok {
			return nil, false
		}
		if exp := m[3] + m[4]; exp != "" {
			e, _ := new(big.Int).SetString(exp, 10)
			ten := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), new(big.Int).Abs(e), nil))
			if e.Sign() < 0 {
				r.Quo(r, ten)
			} else {
				r.Mul(r, ten)
			}
		}
		if m[1] == "-" {
			r.Neg(r)
		}
		return r, true
	}
	var num, den, sign string
	if m := reFracNum.FindStringSubmatch(s); m != nil {
		sign, num, den = m[1], m[2], m[3]
	} else if m := reSlashNum.FindStringSubmatch(s); m != nil {
		num, den = m[1], m[2]
	} else {
		return nil, false
	}
	a, ok1 := new(big.Rat).SetString(num)
	b, ok2 := new(big.Rat).SetString(den)
	if !ok1 || !ok2 || b.Sign() == 0 {
		return nil, false
	}
	r := a.Quo(a, b)
	if sign == "-" {
		r.Neg(r)
	}
	return r, true
}

// splitTop splits s at sep characters that are not inside brackets or
// braces.
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '\\':
			if i+1 < len(s) && (s[i+1] == '{' || s[i+1] == '}') {
				i++
			}
		default:
			if s[i] == sep && depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// bracketed recognises "(a,b)", "[a,b)", ... and returns the brackets and
// the top-level elements.
func bracketed(s string) (open, close byte, elems []string, ok bool) {
	if len(s) < 2 || (s[0] != '(' && s[0] != '[') || (s[len(s)-1] != ')' && s[len(s)-1] != ']') {
		return 0, 0, nil, false
	}
	// the outer brackets must enclose everything: "(1)(2)" is a product
	depth := 0
	for i := 0; i < len(s)-1; i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return 0, 0, nil, false
			}
		}
	}
	inner := s[1 : len(s)-1]
	elems = splitTop(inner, ',')
	if len(elems) == 1 {
		return 0, 0, nil, false // a parenthesised expression
	}
	return s[0], s[len(s)-1], elems, true
}

// setElements recognises "\{a,b\}".
func setElements(s string) ([]string, bool) {
	if strings.HasPrefix(s, `\{`) && strings.HasSuffix(s, `\}`) && len(s) >= 4 {
		return splitTop(s[2:len(s)-2], ','), true
	}
	return nil, false
}

// matrixCells splits the body of a matrix environment into rows and cells.
func matrixCells(body string) []string {
	var cells []string
	for _, row := range strings.Split(body, `\\`) {
		if strings.TrimSpace(row) == "" {
			continue
		}
		cells = append(cells, strings.Split(row, "&")...)
		cells = append(cells, `\\`) // row boundary must line up too
	}
	return cells
}

// cellsEqual compares element lists in order, or as multisets.
func cellsEqual(ps, gs []string, ordered bool, depth int) bool {
	if len(ps) != len(gs) || len(gs) > 64 {
		return false
	}
	if ordered {
		for i := range gs {
			if !equivNorm(ps[i], gs[i], depth+1) {
				return false
			}
		}
		return true
	}
	used := make([]bool, len(ps))
outer:
	for _, g := range gs {
		for j, p := range ps {
			if !used[j] && equivNorm(p, g, depth+1) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}
