package task

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Arithmetic tasks: multi-digit addition and multiplication with a
// scratchpad, modular arithmetic, and linear equations in one unknown.

func init() {
	register("add", func(p map[string]any) (Task, error) {
		t := &Add{MinDigits: 1, MaxDigits: 3}
		if err := decodeParams("add", p, t); err != nil {
			return nil, err
		}
		if t.MinDigits < 1 || t.MaxDigits < t.MinDigits || t.MaxDigits > 15 {
			return nil, fmt.Errorf("task add: need 1 <= min_digits <= max_digits <= 15, got %d, %d", t.MinDigits, t.MaxDigits)
		}
		return t, nil
	})
	register("mul", func(p map[string]any) (Task, error) {
		t := &Mul{MaxDigitsA: 3, MaxDigitsB: 2}
		if err := decodeParams("mul", p, t); err != nil {
			return nil, err
		}
		if t.MaxDigitsA < 1 || t.MaxDigitsB < 1 || t.MaxDigitsA+t.MaxDigitsB > 16 {
			return nil, fmt.Errorf("task mul: digits must be >= 1 with a total <= 16, got %d, %d", t.MaxDigitsA, t.MaxDigitsB)
		}
		return t, nil
	})
	register("mod", func(p map[string]any) (Task, error) {
		t := &Mod{MaxOperand: 99, MaxModulus: 13}
		if err := decodeParams("mod", p, t); err != nil {
			return nil, err
		}
		if t.MaxOperand < 1 || t.MaxModulus < 2 || t.MaxOperand > 1e6 {
			return nil, fmt.Errorf("task mod: need max_operand in [1, 1e6] and max_modulus >= 2")
		}
		return t, nil
	})
	register("lineq", func(p map[string]any) (Task, error) {
		t := &LinEq{MaxCoef: 9, MaxSolution: 20}
		if err := decodeParams("lineq", p, t); err != nil {
			return nil, err
		}
		if t.MaxCoef < 1 || t.MaxSolution < 1 {
			return nil, fmt.Errorf("task lineq: max_coef and max_solution must be >= 1")
		}
		return t, nil
	})
}

// randDigits returns a number with exactly n digits.
func randDigits(r *rand.Rand, n int) int64 {
	if n == 1 {
		return r.Int64N(10)
	}
	lo := int64(1)
	for i := 1; i < n; i++ {
		lo *= 10
	}
	return lo + r.Int64N(9*lo)
}

func digitsOf(v int64) int { return len(strconv.FormatInt(v, 10)) }

// slip returns a nonzero error in [-3, 3] for an "arith" step.
func slip(r *rand.Rand) int64 {
	d := int64(1 + r.IntN(3))
	if r.IntN(2) == 0 {
		return -d
	}
	return d
}

// Add is a + b with operands of MinDigits..MaxDigits digits. The
// scratchpad adds column by column from the right, with the carry:
// "7+5+0=12", "4+8+1=13", "3+2+1=6", then the answer 632.
type Add struct {
	MinDigits int `json:"min_digits"`
	MaxDigits int `json:"max_digits"`
}

func (*Add) Name() string { return "add" }
func (*Add) Description() string {
	return "multi-digit addition with a column-by-column scratchpad (min_digits, max_digits)"
}

func (t *Add) Draw(r *rand.Rand) Problem {
	a := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	b := randDigits(r, t.MinDigits+r.IntN(t.MaxDigits-t.MinDigits+1))
	return Problem{Question: fmt.Sprintf("%d+%d=", a, b), Answer: strconv.FormatInt(a+b, 10),
		Difficulty: max(digitsOf(a), digitsOf(b)), Meta: map[string]any{"a": a, "b": b}}
}

func operands(p Problem, op string) (int64, int64) {
	q := strings.TrimSuffix(p.Question, "=")
	x, y, _ := strings.Cut(q, op)
	a, _ := strconv.ParseInt(x, 10, 64)
	b, _ := strconv.ParseInt(y, 10, 64)
	return a, b
}

func (t *Add) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	a, b := operands(p, "+")
	as, bs := strconv.FormatInt(a, 10), strconv.FormatInt(b, 10)
	n := max(len(as), len(bs))
	bad := -1
	if err == "arith" {
		bad = r.IntN(n)
	}
	var steps []string
	var digits []byte
	carry := int64(0)
	for i := 0; i < n; i++ {
		da, db := digitAt(as, i), digitAt(bs, i)
		s := da + db + carry
		if i == bad {
			s += slip(r)
			if s < 0 {
				s = -s + 1
			}
		}
		steps = append(steps, fmt.Sprintf("%d+%d+%d=%d", da, db, carry, s))
		digits = append(digits, byte('0'+s%10))
		carry = s / 10
	}
	if carry > 0 {
		digits = append(digits, []byte(strconv.FormatInt(carry, 10))...)
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	ans := strings.TrimLeft(string(digits), "0")
	if ans == "" {
		ans = "0"
	}
	return steps, ans
}

// digitAt returns the i-th digit from the right of a decimal string (0 past its length).
func digitAt(s string, i int) int64 {
	if i >= len(s) {
		return 0
	}
	return int64(s[len(s)-1-i] - '0')
}

func (t *Add) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// Mul is a × b with up to MaxDigitsA and MaxDigitsB digits. The scratchpad
// writes one partial product per digit of b and a running sum.
type Mul struct {
	MaxDigitsA int `json:"max_digits_a"`
	MaxDigitsB int `json:"max_digits_b"`
}

func (*Mul) Name() string { return "mul" }
func (*Mul) Description() string {
	return "multi-digit multiplication with partial products (max_digits_a, max_digits_b)"
}

func (t *Mul) Draw(r *rand.Rand) Problem {
	a := randDigits(r, 1+r.IntN(t.MaxDigitsA))
	b := randDigits(r, 1+r.IntN(t.MaxDigitsB))
	return Problem{Question: fmt.Sprintf("%d*%d=", a, b), Answer: strconv.FormatInt(a*b, 10),
		Difficulty: digitsOf(a) + digitsOf(b)}
}

func (t *Mul) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	a, b := operands(p, "*")
	bs := strconv.FormatInt(b, 10)
	bad := -1
	if err == "arith" {
		bad = r.IntN(len(bs))
	}
	var steps []string
	var total int64
	place := int64(1)
	for i := 0; i < len(bs); i++ {
		d := digitAt(bs, i) * place
		pp := a * d
		if i == bad {
			pp += slip(r) * place
			if pp < 0 {
				pp = -pp
			}
		}
		steps = append(steps, fmt.Sprintf("%d*%d=%d", a, d, pp))
		if i > 0 {
			steps = append(steps, fmt.Sprintf("%d+%d=%d", total, pp, total+pp))
		}
		total += pp
		place *= 10
	}
	return steps, strconv.FormatInt(total, 10)
}

func (t *Mul) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// Mod is (a*b+c) mod m, solved in three steps.
type Mod struct {
	MaxOperand int `json:"max_operand"`
	MaxModulus int `json:"max_modulus"`
}

func (*Mod) Name() string { return "mod" }
func (*Mod) Description() string {
	return "modular arithmetic (a*b+c)%m in three steps (max_operand, max_modulus)"
}

func (t *Mod) Draw(r *rand.Rand) Problem {
	a, b, c := r.IntN(t.MaxOperand+1), r.IntN(t.MaxOperand+1), r.IntN(t.MaxOperand+1)
	m := 2 + r.IntN(t.MaxModulus-1)
	return Problem{Question: fmt.Sprintf("(%d*%d+%d)%%%d=", a, b, c, m), Answer: strconv.Itoa((a*b + c) % m),
		Difficulty: digitsOf(int64(max(a, b, c))), Meta: map[string]any{"a": a, "b": b, "c": c, "m": m}}
}

func (t *Mod) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	var a, b, c, m int64
	fmt.Sscanf(p.Question, "(%d*%d+%d)%%%d=", &a, &b, &c, &m)
	bad := -1
	if err == "arith" {
		bad = r.IntN(3)
	}
	x := a * b
	if bad == 0 {
		x = abs64(x + slip(r))
	}
	y := x + c
	if bad == 1 {
		y = abs64(y + slip(r))
	}
	z := y % m
	if bad == 2 {
		z = (z + 1) % m
	}
	return []string{fmt.Sprintf("%d*%d=%d", a, b, x), fmt.Sprintf("%d+%d=%d", x, c, y), fmt.Sprintf("%d%%%d=%d", y, m, z)}, strconv.FormatInt(z, 10)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func (t *Mod) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}

// LinEq is a*x+b=c with an integer solution, solved by moving b and
// dividing by a.
type LinEq struct {
	MaxCoef     int `json:"max_coef"`
	MaxSolution int `json:"max_solution"`
}

func (*LinEq) Name() string { return "lineq" }
func (*LinEq) Description() string {
	return "linear equations a*x+b=c with integer solutions (max_coef, max_solution)"
}

func (t *LinEq) Draw(r *rand.Rand) Problem {
	a := 1 + r.IntN(t.MaxCoef)
	if r.IntN(4) == 0 {
		a = -a
	}
	x := r.IntN(2*t.MaxSolution+1) - t.MaxSolution
	b := r.IntN(2*t.MaxCoef*t.MaxSolution+1) - t.MaxCoef*t.MaxSolution
	c := a*x + b
	return Problem{Question: fmt.Sprintf("%dx%+d=%d, x=?", a, b, c), Answer: strconv.Itoa(x),
		Difficulty: digitsOf(int64(max(abs(a), abs(b), abs(c)))), Meta: map[string]any{"a": a, "b": b, "c": c}}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func (t *LinEq) Steps(p Problem, r *rand.Rand, err string) ([]string, string) {
	var a, b, c int64
	fmt.Sscanf(p.Question, "%dx%d=%d, x=?", &a, &b, &c)
	rhs := c - b
	if err == "arith" {
		rhs += slip(r) * a // keeps the division exact
	}
	x := rhs / a
	return []string{fmt.Sprintf("%dx=%d%+d=%d", a, c, -b, rhs), fmt.Sprintf("x=%d/%d=%d", rhs, a, x)}, strconv.FormatInt(x, 10)
}

func (t *LinEq) Grade(p Problem, completion string) Reward {
	return gradeAnswer(p, completion, DefaultTemplate.AnswerPrefix)
}
