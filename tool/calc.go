package tool

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Calc is the "calc" tool: an exact calculator over rationals (math/big).
//
// Grammar (spaces ignored):
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = "-" unary | power
//	power   = primary [ "^" unary ]        (right-associative)
//	primary = number | "(" expr ")"
//	number  = digits [ "." digits ]
//
// The output is the exact value: an integer when it is one, otherwise the
// reduced fraction "p/q" (no decimal approximation, so the answer stays
// exact). Exponents must be integers of absolute value at most MaxExponent;
// no numerator or denominator may exceed about MaxDigits decimal digits
// (measured as MaxDigits*log2(10)+1 bits, checked
// before a power is computed, so 10^10^10 is refused without work); nesting
// deeper than MaxDepth, inputs over MaxInput bytes and division by zero are
// errors.
type Calc struct {
	MaxDigits int // largest numerator/denominator, in decimal digits
	MaxDepth  int // largest parenthesis/unary nesting
}

// MaxExponent is the largest absolute integer exponent Calc accepts.
const MaxExponent = 10000

// NewCalc returns a calculator with default limits (1000 digits, depth 64).
func NewCalc() *Calc { return &Calc{MaxDigits: 1000, MaxDepth: 64} }

func newCalcFromOptions(opts map[string]any) (Tool, error) {
	if err := checkKeys(opts, "max_digits", "max_depth"); err != nil {
		return nil, err
	}
	c := NewCalc()
	var err error
	if c.MaxDigits, err = intOption(opts, "max_digits", c.MaxDigits); err != nil {
		return nil, err
	}
	if c.MaxDepth, err = intOption(opts, "max_depth", c.MaxDepth); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns "calc".
func (*Calc) Name() string { return "calc" }

// Call evaluates the expression in input.
func (c *Calc) Call(ctx context.Context, input string) (string, error) {
	v, err := c.Eval(input)
	if err != nil {
		return "", err
	}
	if v.IsInt() {
		return v.Num().String(), nil
	}
	return v.String(), nil
}

// Eval parses and evaluates an expression exactly.
func (c *Calc) Eval(input string) (*big.Rat, error) {
	if len(input) > MaxInput {
		return nil, fmt.Errorf("calc: input of %d bytes exceeds %d", len(input), MaxInput)
	}
	p := &calcParser{s: input, c: c, maxBits: int(float64(c.MaxDigits)*3.3219280948873626) + 1}
	v, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("calc: unexpected %q at column %d", p.s[p.i], p.i+1)
	}
	return v, nil
}

type calcParser struct {
	s       string
	i       int
	c       *Calc
	maxBits int
}

var errDivZero = errors.New("calc: division by zero")

func (p *calcParser) skip() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *calcParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *calcParser) check(v *big.Rat) (*big.Rat, error) {
	if v.Num().BitLen() > p.maxBits || v.Denom().BitLen() > p.maxBits {
		return nil, fmt.Errorf("calc: number exceeds %d digits", p.c.MaxDigits)
	}
	return v, nil
}

func (p *calcParser) expr(depth int) (*big.Rat, error) {
	if depth > p.c.MaxDepth {
		return nil, fmt.Errorf("calc: nesting deeper than %d", p.c.MaxDepth)
	}
	v, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != '+' && op != '-' {
			return v, nil
		}
		p.i++
		w, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		if op == '+' {
			v = new(big.Rat).Add(v, w)
		} else {
			v = new(big.Rat).Sub(v, w)
		}
		if v, err = p.check(v); err != nil {
			return nil, err
		}
	}
}

func (p *calcParser) term(depth int) (*big.Rat, error) {
	v, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != '*' && op != '/' {
			return v, nil
		}
		p.i++
		w, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		if op == '*' {
			v = new(big.Rat).Mul(v, w)
		} else {
			if w.Sign() == 0 {
				return nil, errDivZero
			}
			v = new(big.Rat).Quo(v, w)
		}
		if v, err = p.check(v); err != nil {
			return nil, err
		}
	}
}

func (p *calcParser) unary(depth int) (*big.Rat, error) {
	if depth > p.c.MaxDepth {
		return nil, fmt.Errorf("calc: nesting deeper than %d", p.c.MaxDepth)
	}
	if p.peek() == '-' {
		p.i++
		v, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return new(big.Rat).Neg(v), nil
	}
	return p.power(depth)
}

func (p *calcParser) power(depth int) (*big.Rat, error) {
	base, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	if p.peek() != '^' {
		return base, nil
	}
	p.i++
	exp, err := p.unary(depth + 1)
	if err != nil {
		return nil, err
	}
	if !exp.IsInt() || exp.Num().CmpAbs(big.NewInt(MaxExponent)) > 0 {
		return nil, fmt.Errorf("calc: exponent %s is not an integer of absolute value at most %d", exp.RatString(), MaxExponent)
	}
	e := exp.Num().Int64()
	neg := e < 0
	if neg {
		e = -e
		if base.Sign() == 0 {
			return nil, errDivZero
		}
	}
	// |num|^e has at most e*bitlen(num) bits: refuse before computing.
	if int64(base.Num().BitLen()-1)*e > int64(p.maxBits) || int64(base.Denom().BitLen()-1)*e > int64(p.maxBits) {
		return nil, fmt.Errorf("calc: number exceeds %d digits", p.c.MaxDigits)
	}
	num := new(big.Int).Exp(base.Num(), big.NewInt(e), nil)
	den := new(big.Int).Exp(base.Denom(), big.NewInt(e), nil)
	if neg {
		num, den = den, num
	}
	return p.check(new(big.Rat).SetFrac(num, den))
}

func (p *calcParser) primary(depth int) (*big.Rat, error) {
	ch := p.peek()
	switch {
	case ch == '(':
		p.i++
		v, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, fmt.Errorf("calc: missing ')' at column %d", p.i+1)
		}
		p.i++
		return v, nil
	case ch >= '0' && ch <= '9' || ch == '.':
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
		}
		lit := p.s[start:p.i]
		if strings.Count(lit, ".") > 1 || lit == "." || len(lit) > p.c.MaxDigits+1 {
			return nil, fmt.Errorf("calc: bad number %.20q at column %d", lit, start+1)
		}
		v, ok := new(big.Rat).SetString(lit)
		if !ok {
			return nil, fmt.Errorf("calc: bad number %.20q at column %d", lit, start+1)
		}
		return v, nil
	case ch == 0:
		return nil, errors.New("calc: unexpected end of expression")
	}
	return nil, fmt.Errorf("calc: unexpected %q at column %d", ch, p.i+1)
}
