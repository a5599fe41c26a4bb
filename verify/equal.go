package verify

import (
	"math/big"
	"regexp"
	"strings"
)

var (
	reChoice    = regexp.MustCompile(`^\(?([A-Ea-e])\)?$`)
	reChoiceAny = regexp.MustCompile(`^\(?([A-E])(?:\)|\.|:|$)`)
	reMatrix    = regexp.MustCompile(`^\\begin\{[pbvB]?matrix\}(.*)\\end\{[pbvB]?matrix\}$`)
	reRational  = regexp.MustCompile(`^(-?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?$`)
	reFracNum   = regexp.MustCompile(`^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$`)
	reSlashNum  = regexp.MustCompile(`^(-?\d+(?:\.\d+)?)/(-?\d+(?:\.\d+)?)$`)
)

// Equivalent reports whether a predicted answer means the same as the
// reference answer. Both are normalised first; then, in order: equal
// strings (case-insensitive for words), multiple-choice letters, matrices,
// sets, intervals and tuples, unordered lists, percentages, equations,
// exact rational numbers, and symbolic expressions compared at random
// complex points.
func Equivalent(pred, gold string) bool {
	return equivNorm(Normalize(pred), Normalize(gold), 0)
}

func equivNorm(p, g string, depth int) bool {
	if p == g {
		return true
	}
	if p == "" || g == "" || depth > 4 || len(p) > MaxAnswerBytes || len(g) > MaxAnswerBytes {
		return false
	}
	if strings.EqualFold(p, g) && !hasDigit(g) {
		return true
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
	pe, _, err1 := parseExpr(p)
	ge, _, err2 := parseExpr(g)
	if err1 == nil && err2 == nil {
		return exprEqual(pe, ge)
	}
	return false
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// isChoiceContext reports whether a one-letter reference is a choice such
// as "(B)" or "C" (upper case), not a variable such as "x".
func isChoiceContext(g string) bool {
	return strings.HasPrefix(g, "(") || (len(g) == 1 && g[0] >= 'A' && g[0] <= 'E')
}

// rational parses an exact number: integer, decimal, scientific notation,
// a/b, or \frac{a}{b}.
func rational(s string) (*big.Rat, bool) {
	if m := reRational.FindStringSubmatch(s); m != nil {
		r, ok := new(big.Rat).SetString(m[2])
		if !ok {
			return nil, false
		}
		if m[3] != "" {
			e, _ := new(big.Int).SetString(m[3], 10)
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
