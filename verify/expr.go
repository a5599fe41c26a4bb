package verify

import (
	"errors"
	"hash/fnv"
	"math"
	"math/cmplx"
	"strings"
)

// The expression evaluator parses a normalised LaTeX-ish expression
// (numbers, variables, + - * / ^, implicit products, parentheses and
// braces, \frac, \sqrt, \sqrt[n], \pi, i, |x|, n!, \sin \cos \tan \ln \log
// \exp and friends) into a tree and evaluates it in complex128 at a few
// fixed pseudo-random points, one value per variable name. Two expressions
// are equivalent when they agree at every point.

// Limits on untrusted expressions.
const (
	maxExprBytes = 400
	maxExprDepth = 60
	maxExprNodes = 400
)

var errParse = errors.New("cannot parse expression")

type node struct {
	op   byte // 'n' number, 'v' variable, 'f' function, '+', '-', '*', '/', '^', '!', '~' (negate), '|' (abs)
	num  complex128
	name string
	kids []*node
}

type parser struct {
	s     string
	i     int
	depth int
	nodes int
	vars  map[string]bool
}

// parseExpr parses s; vars collects the variable names used.
func parseExpr(s string) (*node, map[string]bool, error) {
	if len(s) == 0 || len(s) > maxExprBytes {
		return nil, nil, errParse
	}
	p := &parser{s: s, vars: map[string]bool{}}
	n, err := p.expr()
	if err != nil {
		return nil, nil, err
	}
	if p.i != len(p.s) {
		return nil, nil, errParse
	}
	return n, p.vars, nil
}

func (p *parser) newNode(op byte, kids ...*node) (*node, error) {
	p.nodes++
	if p.nodes > maxExprNodes {
		return nil, errParse
	}
	return &node{op: op, kids: kids}, nil
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) has(prefix string) bool { return strings.HasPrefix(p.s[p.i:], prefix) }

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return errParse
	}
	return nil
}

func (p *parser) expr() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		if c != '+' && c != '-' {
			return left, nil
		}
		p.i++
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		if left, err = p.newNode(c, left, right); err != nil {
			return nil, err
		}
	}
}

// startsAtom reports whether the next character can begin a factor, which
// makes juxtaposition an implicit product ("2x", "3\sqrt{2}", "x(x+1)").
func (p *parser) startsAtom() bool {
	c := p.peek()
	if c == '\\' {
		return !p.has(`\right`) && !p.has(`\}`)
	}
	return c == '(' || c == '{' || c == '[' || c == '.' || (c >= '0' && c <= '9') || isLetter(c)
}

func (p *parser) term() (*node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		c := p.peek()
		var op byte
		switch {
		case c == '*' || c == '/':
			p.i++
			op = c
		case p.startsAtom():
			op = '*'
		default:
			return left, nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		if left, err = p.newNode(op, left, right); err != nil {
			return nil, err
		}
	}
}

func (p *parser) unary() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch p.peek() {
	case '-':
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return p.newNode('~', x)
	case '+':
		p.i++
		return p.unary()
	}
	return p.power()
}

func (p *parser) power() (*node, error) {
	base, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if p.peek() != '^' {
		return base, nil
	}
	p.i++
	var exp *node
	if p.peek() == '{' || p.peek() == '(' {
		exp, err = p.atom()
	} else {
		exp, err = p.unary() // x^-1, x^2
	}
	if err != nil {
		return nil, err
	}
	return p.newNode('^', base, exp)
}

func (p *parser) postfix() (*node, error) {
	a, err := p.atom()
	if err != nil {
		return nil, err
	}
	for p.peek() == '!' {
		p.i++
		if a, err = p.newNode('!', a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// group parses a {...} argument (or, for \sqrt2-style shorthand, a single
// character factor).
func (p *parser) group() (*node, error) {
	if p.peek() == '{' {
		p.i++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.peek() != '}' {
			return nil, errParse
		}
		p.i++
		return e, nil
	}
	return p.atom()
}

var functions = []string{`\arcsin`, `\arccos`, `\arctan`, `\sinh`, `\cosh`, `\tanh`, `\sin`, `\cos`, `\tan`, `\sec`, `\csc`, `\cot`, `\ln`, `\log`, `\exp`}

var greek = []string{`\alpha`, `\beta`, `\gamma`, `\delta`, `\theta`, `\phi`, `\varphi`, `\lambda`, `\mu`, `\omega`, `\sigma`, `\tau`, `\rho`, `\epsilon`, `\varepsilon`, `\psi`, `\eta`, `\xi`, `\zeta`, `\nu`, `\kappa`, `\chi`}

func (p *parser) atom() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	c := p.peek()
	switch {
	case c == '(' || c == '{' || c == '[':
		closer := map[byte]byte{'(': ')', '{': '}', '[': ']'}[c]
		p.i++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.peek() != closer {
			return nil, errParse
		}
		p.i++
		return e, nil
	case c == '|':
		p.i++
		e, err := p.expr()
		if err != nil || p.peek() != '|' {
			return nil, errParse
		}
		p.i++
		return p.newNode('|', e)
	case c >= '0' && c <= '9' || c == '.':
		return p.number()
	case isLetter(c):
		p.i++
		name := string(c)
		if p.peek() == '_' { // subscripted variable: a_1, x_{10}
			p.i++
			if p.peek() == '{' {
				j := strings.IndexByte(p.s[p.i:], '}')
				if j < 0 {
					return nil, errParse
				}
				name += "_" + p.s[p.i+1:p.i+j]
				p.i += j + 1
			} else if p.i < len(p.s) {
				name += "_" + string(p.s[p.i])
				p.i++
			}
		}
		if name == "i" {
			n, err := p.newNode('n')
			if err == nil {
				n.num = 1i
			}
			return n, err
		}
		p.vars[name] = true
		n, err := p.newNode('v')
		if err == nil {
			n.name = name
		}
		return n, err
	case c == '\\':
		switch {
		case p.has(`\frac`):
			p.i += len(`\frac`)
			num, err := p.group()
			if err != nil {
				return nil, err
			}
			den, err := p.group()
			if err != nil {
				return nil, err
			}
			return p.newNode('/', num, den)
		case p.has(`\sqrt`):
			p.i += len(`\sqrt`)
			var idx *node
			if p.peek() == '[' {
				p.i++
				var err error
				if idx, err = p.expr(); err != nil || p.peek() != ']' {
					return nil, errParse
				}
				p.i++
			}
			arg, err := p.group()
			if err != nil {
				return nil, err
			}
			if idx == nil {
				n, err := p.newNode('f', arg)
				if err == nil {
					n.name = `\sqrt`
				}
				return n, err
			}
			inv, err := p.newNode('/', &node{op: 'n', num: 1}, idx)
			if err != nil {
				return nil, err
			}
			return p.newNode('^', arg, inv)
		case p.has(`\pi`):
			p.i += len(`\pi`)
			n, err := p.newNode('n')
			if err == nil {
				n.num = math.Pi
			}
			return n, err
		}
		for _, f := range functions {
			if p.has(f) {
				p.i += len(f)
				var pow *node
				if p.peek() == '^' { // \sin^2 x
					p.i++
					var err error
					if pow, err = p.atom(); err != nil {
						return nil, err
					}
				}
				arg, err := p.power()
				if err != nil {
					return nil, err
				}
				n, err := p.newNode('f', arg)
				if err != nil {
					return nil, err
				}
				n.name = f
				if pow != nil {
					return p.newNode('^', n, pow)
				}
				return n, nil
			}
		}
		for _, g := range greek {
			if p.has(g) && !(p.i+len(g) < len(p.s) && isLetter(p.s[p.i+len(g)])) {
				p.i += len(g)
				p.vars[g] = true
				n, err := p.newNode('v')
				if err == nil {
					n.name = g
				}
				return n, err
			}
		}
	}
	return nil, errParse
}

func (p *parser) number() (*node, error) {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
		p.i++
	}
	v, ok := parseDecimal(p.s[start:p.i])
	if !ok {
		return nil, errParse
	}
	n, err := p.newNode('n')
	if err == nil {
		n.num = complex(v, 0)
	}
	return n, err
}

func parseDecimal(s string) (float64, bool) {
	if s == "" || s == "." || strings.Count(s, ".") > 1 {
		return 0, false
	}
	var v, scale float64 = 0, 0
	for _, c := range s {
		if c == '.' {
			scale = 1
			continue
		}
		v = v*10 + float64(c-'0')
		if scale > 0 {
			scale *= 10
		}
	}
	if scale > 0 {
		v /= scale
	}
	return v, true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// eval computes the value of n with variables bound by val.
func (n *node) eval(val func(string) complex128) complex128 {
	switch n.op {
	case 'n':
		return n.num
	case 'v':
		return val(n.name)
	case '~':
		return -n.kids[0].eval(val)
	case '|':
		return complex(cmplx.Abs(n.kids[0].eval(val)), 0)
	case '!':
		x := n.kids[0].eval(val)
		if imag(x) != 0 || real(x) < 0 || real(x) > 170 || real(x) != math.Floor(real(x)) {
			return cmplx.NaN()
		}
		g, _ := math.Lgamma(real(x) + 1)
		return complex(math.Round(math.Exp(g)), 0)
	case 'f':
		x := n.kids[0].eval(val)
		switch n.name {
		case `\sqrt`:
			return cmplx.Sqrt(x)
		case `\sin`:
			return cmplx.Sin(x)
		case `\cos`:
			return cmplx.Cos(x)
		case `\tan`:
			return cmplx.Tan(x)
		case `\sec`:
			return 1 / cmplx.Cos(x)
		case `\csc`:
			return 1 / cmplx.Sin(x)
		case `\cot`:
			return 1 / cmplx.Tan(x)
		case `\arcsin`:
			return cmplx.Asin(x)
		case `\arccos`:
			return cmplx.Acos(x)
		case `\arctan`:
			return cmplx.Atan(x)
		case `\sinh`:
			return cmplx.Sinh(x)
		case `\cosh`:
			return cmplx.Cosh(x)
		case `\tanh`:
			return cmplx.Tanh(x)
		case `\ln`:
			return cmplx.Log(x)
		case `\log`:
			return cmplx.Log10(x)
		case `\exp`:
			return cmplx.Exp(x)
		}
		return cmplx.NaN()
	}
	a, b := n.kids[0].eval(val), n.kids[1].eval(val)
	switch n.op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	case '/':
		return a / b
	case '^':
		if imag(b) == 0 && real(b) == math.Trunc(real(b)) && math.Abs(real(b)) <= 64 {
			return ipow(a, int(real(b)))
		}
		if imag(a) == 0 && imag(b) == 0 && real(a) > 0 {
			return complex(math.Pow(real(a), real(b)), 0)
		}
		return cmplx.Pow(a, b)
	}
	return cmplx.NaN()
}

// ipow is exact repeated multiplication for small integer powers.
func ipow(a complex128, k int) complex128 {
	if k < 0 {
		return 1 / ipow(a, -k)
	}
	r := complex(1, 0)
	for ; k > 0; k-- {
		r *= a
	}
	return r
}

// point gives variable name its value at evaluation point k: a fixed
// pseudo-random number in [0.3, 2.3) from a hash of the name, so the same
// name gets the same value in both expressions.
func point(name string, k int) complex128 {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{byte(k)})
	u := float64(h.Sum64()>>11) / float64(1<<53)
	return complex(0.3+2*u, 0)
}

// exprEqual reports whether a and b are the same function of their
// variables at four evaluation points (relative tolerance 1e-8).
func exprEqual(a, b *node) bool {
	for k := 0; k < 4; k++ {
		at := func(name string) complex128 { return point(name, k) }
		x, y := a.eval(at), b.eval(at)
		if cmplx.IsNaN(x) || cmplx.IsNaN(y) || cmplx.IsInf(x) || cmplx.IsInf(y) {
			return false
		}
		if cmplx.Abs(x-y) > 1e-8*math.Max(1, math.Max(cmplx.Abs(x), cmplx.Abs(y))) {
			return false
		}
	}
	return true
}
