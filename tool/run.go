package tool

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Run is the "run" tool: a pure interpreter for a tiny program language,
// with no access to files, network, processes or the host. Its output is the
// program's printed lines; a failure is an error (parse error at line:col,
// step limit exceeded, memory limit exceeded, recursion too deep, time limit
// exceeded, assertion failed at line N, runtime errors with their line).
//
// Grammar (newlines and ";" separate nothing; "#" starts a comment):
//
//	program = { stmt }
//	stmt    = "def" NAME "(" [NAME {"," NAME}] ")" block
//	        | "if" expr block [ "else" ( block | ifstmt ) ]
//	        | "while" expr block
//	        | "return" [expr]                (expr on the same line)
//	        | "print" "(" [expr {"," expr}] ")"
//	        | "assert" expr
//	        | NAME [ "[" expr "]" ] "=" expr
//	        | expr
//	block   = "{" { stmt } "}"
//	expr    = binary operators, lowest first: or; and; == != < <= > >=;
//	          + -; * / %; then unary "-" and "not", indexing x[i],
//	          calls f(a, b), literals 12 "text" true false none [a, b]
//
// Values are 64-bit integers (overflow is an error), booleans, strings,
// lists (shared by reference) and none. "/" and "%" are floor division and
// modulo; "+" also joins strings and lists. Variables are global at top
// level and local inside functions (functions see globals, assignment in a
// function makes a local). Built-ins: len(x), push(list, v) (appends in
// place), pop(list), str(v), range(n) (the list 0..n-1). print writes its
// arguments separated by spaces on one line.
//
// Example:
//
//	def fib(n) {
//	  if n < 2 { return n }
//	  return fib(n - 1) + fib(n - 2)
//	}
//	xs = []
//	i = 0
//	while i < 5 { push(xs, fib(i)); i = i + 1 }
//	print(xs)            # [0, 1, 1, 2, 3]
//	assert fib(10) == 55
type Run struct{ Limits Limits }

// Limits bounds one program run. Memory counts allocated value cells
// cumulatively over the run: each list element and every 8 bytes of a
// string built at run time count one cell. A zero field allows nothing:
// start from DefaultLimits and change what differs.
type Limits struct {
	Steps   int           // evaluated statements and expressions
	Memory  int           // allocated cells
	Depth   int           // function call depth
	ListLen int           // longest list or string
	Time    time.Duration // wall-clock time
	Output  int           // bytes printed
}

// DefaultLimits are the limits of New("run", nil).
var DefaultLimits = Limits{Steps: 1_000_000, Memory: 1_000_000, Depth: 200, ListLen: 100_000, Time: time.Second, Output: 64 << 10}

// Result is the outcome of a run.
type Result struct {
	Output  []string       // printed lines
	Asserts []AssertResult // with RunWithTests: every executed assert
}

// AssertResult is one executed assert statement.
type AssertResult struct {
	Line    int  // line in its own source (program or tests)
	InTests bool // the assert is in the tests source
	Passed  bool
}

// Passed reports whether at least one assert ran and all passed.
func (r Result) Passed() bool {
	for _, a := range r.Asserts {
		if !a.Passed {
			return false
		}
	}
	return len(r.Asserts) > 0
}

func newRunFromOptions(opts map[string]any) (Tool, error) {
	if err := checkKeys(opts, "steps", "memory", "depth", "list_len", "time_ms", "output"); err != nil {
		return nil, err
	}
	l := DefaultLimits
	var err error
	for _, f := range []struct {
		key string
		dst *int
	}{{"steps", &l.Steps}, {"memory", &l.Memory}, {"depth", &l.Depth}, {"list_len", &l.ListLen}, {"output", &l.Output}} {
		if *f.dst, err = intOption(opts, f.key, *f.dst); err != nil {
			return nil, err
		}
	}
	ms, err := intOption(opts, "time_ms", int(l.Time/time.Millisecond))
	if err != nil {
		return nil, err
	}
	l.Time = time.Duration(ms) * time.Millisecond
	return &Run{Limits: l}, nil
}

// Name returns "run".
func (*Run) Name() string { return "run" }

// Call runs the program in input and returns its printed lines; on failure
// the error message is the lines printed before it followed by the error.
func (r *Run) Call(ctx context.Context, input string) (string, error) {
	res, err := RunProgram(ctx, input, r.Limits)
	out := strings.Join(res.Output, "\n")
	if err != nil && out != "" {
		return "", fmt.Errorf("%s\n%w", out, err)
	}
	return out, err
}

// Limit errors, matched with errors.Is.
var (
	ErrSteps     = errors.New("step limit exceeded")
	ErrMemory    = errors.New("memory limit exceeded")
	ErrRecursion = errors.New("recursion too deep")
	ErrTime      = errors.New("time limit exceeded")
	ErrAssert    = errors.New("assertion failed")
)

// RunProgram parses and runs a program under limits; the context may cancel
// it earlier than limits.Time. The result holds the lines printed before
// any error.
func RunProgram(ctx context.Context, program string, limits Limits) (Result, error) {
	prog, err := parseProgram(program)
	if err != nil {
		return Result{}, err
	}
	in := newInterp(ctx, limits, false)
	err = in.runTop(prog, false)
	return Result{Output: in.out}, err
}

// RunWithTests runs program and then tests in the same global scope (tests
// see the program's functions and variables). Every assert executed, in
// either source, is recorded in Result.Asserts with its line in its own
// source and does not stop the run; Result.Passed tells whether all passed.
// Parse errors name "program" or "tests"; a runtime error or exceeded limit
// stops the run and is returned with the asserts recorded so far (callers
// treat it as failing).
func RunWithTests(program, tests string, limits Limits) (Result, error) {
	return RunWithTestsContext(context.Background(), program, tests, limits)
}

// RunWithTestsContext is RunWithTests stopped early (ErrTime) when ctx ends.
func RunWithTestsContext(ctx context.Context, program, tests string, limits Limits) (Result, error) {
	prog, err := parseProgram(program)
	if err != nil {
		return Result{}, fmt.Errorf("program: %w", err)
	}
	tst, err := parseProgram(tests)
	if err != nil {
		return Result{}, fmt.Errorf("tests: %w", err)
	}
	in := newInterp(ctx, limits, true)
	if err = in.runTop(prog, false); err == nil {
		err = in.runTop(tst, true)
	}
	return Result{Output: in.out, Asserts: in.asserts}, err
}

type list struct{ items []any }

type none struct{}

type function struct {
	def     *defStmt
	inTests bool
}

type interp struct {
	ctx      context.Context
	limits   Limits
	deadline time.Time
	steps    int
	memory   int
	depth    int
	outBytes int
	out      []string
	globals  map[string]any
	funcs    map[string]function
	collect  bool
	inTests  bool
	asserts  []AssertResult
}

func newInterp(ctx context.Context, l Limits, collect bool) *interp {
	return &interp{ctx: ctx, limits: l, deadline: time.Now().Add(l.Time), globals: map[string]any{},
		funcs: map[string]function{}, collect: collect}
}

// rtError is a runtime error at a line.
type rtError struct {
	line int
	err  error
}

func (e *rtError) Error() string {
	if e.err == ErrAssert {
		return fmt.Sprintf("assertion failed at line %d", e.line)
	}
	return fmt.Sprintf("line %d: %v", e.line, e.err)
}
func (e *rtError) Unwrap() error { return e.err }

func errAt(n node, format string, args ...any) error {
	line, _ := n.pos()
	return &rtError{line, fmt.Errorf(format, args...)}
}

func (in *interp) tick(n node) error {
	in.steps++
	if in.steps > in.limits.Steps {
		line, _ := n.pos()
		return &rtError{line, ErrSteps}
	}
	if in.steps&1023 == 0 {
		if time.Now().After(in.deadline) || in.ctx.Err() != nil {
			line, _ := n.pos()
			return &rtError{line, ErrTime}
		}
	}
	return nil
}

func (in *interp) alloc(n node, cells int) error {
	in.memory += cells
	if in.memory > in.limits.Memory {
		line, _ := n.pos()
		return &rtError{line, ErrMemory}
	}
	return nil
}

func (in *interp) runTop(prog []node, inTests bool) error {
	in.inTests = inTests
	_, err := in.block(prog, in.globals)
	if ret, ok := err.(*retErr); ok {
		return errAt(ret.at, "return outside a function")
	}
	return err
}

// retErr wraps a return so block execution unwinds.
type retErr struct {
	at node
	v  any
}

func (e *retErr) Error() string { return "return" }

func (in *interp) block(stmts []node, env map[string]any) (any, error) {
	for _, s := range stmts {
		if err := in.stmt(s, env); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (in *interp) lookup(env map[string]any, name string) (any, bool) {
	if v, ok := env[name]; ok {
		return v, true
	}
	v, ok := in.globals[name]
	return v, ok
}

func (in *interp) stmt(s node, env map[string]any) error {
	if err := in.tick(s); err != nil {
		return err
	}
	switch s := s.(type) {
	case *defStmt:
		if _, ok := builtins[s.name]; ok {
			return errAt(s, "cannot redefine built-in %s", s.name)
		}
		in.funcs[s.name] = function{s, in.inTests}
	case *ifStmt:
		c, err := in.cond(s.cond, env)
		if err != nil {
			return err
		}
		if c {
			_, err = in.block(s.then, env)
		} else {
			_, err = in.block(s.els_, env)
		}
		return err
	case *whileStmt:
		for {
			c, err := in.cond(s.cond, env)
			if err != nil || !c {
				return err
			}
			if _, err := in.block(s.body, env); err != nil {
				return err
			}
		}
	case *returnStmt:
		var v any = none{}
		if s.x != nil {
			var err error
			if v, err = in.eval(s.x, env); err != nil {
				return err
			}
		}
		return &retErr{s, v}
	case *printStmt:
		parts := make([]string, len(s.args))
		for i, a := range s.args {
			v, err := in.eval(a, env)
			if err != nil {
				return err
			}
			if parts[i], err = in.show(a, v, false); err != nil {
				return err
			}
		}
		line := strings.Join(parts, " ")
		in.outBytes += len(line) + 1
		if in.outBytes > in.limits.Output {
			return errAt(s, "output limit of %d bytes exceeded", in.limits.Output)
		}
		in.out = append(in.out, line)
	case *assertStmt:
		c, err := in.cond(s.x, env)
		if err != nil {
			return err
		}
		if in.collect {
			in.asserts = append(in.asserts, AssertResult{Line: s.line, InTests: in.inTests, Passed: c})
		} else if !c {
			return &rtError{s.line, ErrAssert}
		}
	case *assignStmt:
		v, err := in.eval(s.value, env)
		if err != nil {
			return err
		}
		if s.index == nil {
			env[s.name] = v
			return nil
		}
		target, ok := in.lookup(env, s.name)
		if !ok {
			return errAt(s, "undefined variable %s", s.name)
		}
		l, ok := target.(*list)
		if !ok {
			return errAt(s, "cannot index %s", typeName(target))
		}
		i, err := in.index(s.index, env, len(l.items))
		if err != nil {
			return err
		}
		l.items[i] = v
	case *exprStmt:
		_, err := in.eval(s.x, env)
		return err
	default:
		return errAt(s, "not a statement")
	}
	return nil
}

func (in *interp) cond(x node, env map[string]any) (bool, error) {
	v, err := in.eval(x, env)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, errAt(x, "condition is %s, not bool", typeName(v))
	}
	return b, nil
}

func (in *interp) index(x node, env map[string]any, n int) (int, error) {
	v, err := in.eval(x, env)
	if err != nil {
		return 0, err
	}
	i, ok := v.(int64)
	if !ok {
		return 0, errAt(x, "index is %s, not int", typeName(v))
	}
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, errAt(x, "index %d out of range (length %d)", v, n)
	}
	return int(i), nil
}

func typeName(v any) string {
	switch v.(type) {
	case int64:
		return "int"
	case bool:
		return "bool"
	case string:
		return "string"
	case *list:
		return "list"
	}
	return "none"
}

// show renders a value; quoted strings inside lists.
func (in *interp) show(n node, v any, quote bool) (string, error) {
	var sb strings.Builder
	var rec func(v any, quote bool, depth int) error
	rec = func(v any, quote bool, depth int) error {
		if err := in.tick(n); err != nil {
			return err
		}
		if sb.Len() > in.limits.Output {
			return errAt(n, "output limit of %d bytes exceeded", in.limits.Output)
		}
		if depth > maxParseDepth {
			return errAt(n, "value nested deeper than %d", maxParseDepth)
		}
		switch v := v.(type) {
		case int64:
			fmt.Fprint(&sb, v)
		case bool:
			fmt.Fprint(&sb, v)
		case string:
			if quote {
				fmt.Fprintf(&sb, "%q", v)
			} else {
				sb.WriteString(v)
			}
		case *list:
			sb.WriteByte('[')
			for i, x := range v.items {
				if i > 0 {
					sb.WriteString(", ")
				}
				if err := rec(x, true, depth+1); err != nil {
					return err
				}
			}
			sb.WriteByte(']')
		default:
			sb.WriteString("none")
		}
		return nil
	}
	err := rec(v, quote, 0)
	return sb.String(), err
}

var builtins = map[string]bool{"len": true, "push": true, "pop": true, "str": true, "range": true}

func (in *interp) eval(x node, env map[string]any) (any, error) {
	if err := in.tick(x); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *intLit:
		return x.v, nil
	case *strLit:
		return x.v, nil
	case *boolLit:
		return x.v, nil
	case *noneLit:
		return none{}, nil
	case *varRef:
		v, ok := in.lookup(env, x.name)
		if !ok {
			return nil, errAt(x, "undefined variable %s", x.name)
		}
		return v, nil
	case *listLit:
		l := &list{items: make([]any, 0, len(x.items))}
		if err := in.alloc(x, len(x.items)+1); err != nil {
			return nil, err
		}
		for _, it := range x.items {
			v, err := in.eval(it, env)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
		}
		return l, nil
	case *indexExpr:
		v, err := in.eval(x.x, env)
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case *list:
			i, err := in.index(x.i, env, len(v.items))
			if err != nil {
				return nil, err
			}
			return v.items[i], nil
		case string:
			i, err := in.index(x.i, env, len(v))
			if err != nil {
				return nil, err
			}
			return v[i : i+1], nil
		}
		return nil, errAt(x, "cannot index %s", typeName(v))
	case *unOp:
		v, err := in.eval(x.x, env)
		if err != nil {
			return nil, err
		}
		if x.op == "not" {
			b, ok := v.(bool)
			if !ok {
				return nil, errAt(x, "not of %s", typeName(v))
			}
			return !b, nil
		}
		i, ok := v.(int64)
		if !ok {
			return nil, errAt(x, "negation of %s", typeName(v))
		}
		if i == math.MinInt64 {
			return nil, errAt(x, "integer overflow")
		}
		return -i, nil
	case *binOp:
		return in.binary(x, env)
	case *callExpr:
		return in.call(x, env)
	}
	return nil, errAt(x, "not an expression")
}

func (in *interp) binary(x *binOp, env map[string]any) (any, error) {
	a, err := in.eval(x.x, env)
	if err != nil {
		return nil, err
	}
	if x.op == "and" || x.op == "or" {
		ab, ok := a.(bool)
		if !ok {
			return nil, errAt(x, "%s of %s", x.op, typeName(a))
		}
		if ab == (x.op == "or") {
			return ab, nil
		}
		b, err := in.eval(x.y, env)
		if err != nil {
			return nil, err
		}
		if _, ok := b.(bool); !ok {
			return nil, errAt(x, "%s of %s", x.op, typeName(b))
		}
		return b, nil
	}
	b, err := in.eval(x.y, env)
	if err != nil {
		return nil, err
	}
	if x.op == "==" || x.op == "!=" {
		eq, err := in.equal(x, a, b, 0)
		return eq == (x.op == "=="), err
	}
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return nil, errAt(x, "%s %s %s", typeName(a), x.op, typeName(b))
		}
		switch x.op {
		case "+":
			if len(as)+len(bs) > in.limits.ListLen {
				return nil, &rtError{x.line, ErrMemory}
			}
			if err := in.alloc(x, (len(as)+len(bs))/8+1); err != nil {
				return nil, err
			}
			return as + bs, nil
		case "<":
			return as < bs, nil
		case "<=":
			return as <= bs, nil
		case ">":
			return as > bs, nil
		case ">=":
			return as >= bs, nil
		}
		return nil, errAt(x, "string %s string", x.op)
	}
	if al, ok := a.(*list); ok {
		bl, ok := b.(*list)
		if !ok || x.op != "+" {
			return nil, errAt(x, "%s %s %s", typeName(a), x.op, typeName(b))
		}
		n := len(al.items) + len(bl.items)
		if n > in.limits.ListLen {
			return nil, &rtError{x.line, ErrMemory}
		}
		if err := in.alloc(x, n+1); err != nil {
			return nil, err
		}
		items := make([]any, 0, n)
		return &list{append(append(items, al.items...), bl.items...)}, nil
	}
	ai, ok1 := a.(int64)
	bi, ok2 := b.(int64)
	if !ok1 || !ok2 {
		return nil, errAt(x, "%s %s %s", typeName(a), x.op, typeName(b))
	}
	switch x.op {
	case "<":
		return ai < bi, nil
	case "<=":
		return ai <= bi, nil
	case ">":
		return ai > bi, nil
	case ">=":
		return ai >= bi, nil
	case "+":
		s := ai + bi
		if (s > ai) != (bi > 0) {
			return nil, errAt(x, "integer overflow")
		}
		return s, nil
	case "-":
		s := ai - bi
		if (s < ai) != (bi > 0) {
			return nil, errAt(x, "integer overflow")
		}
		return s, nil
	case "*":
		if ai == 0 || bi == 0 {
			return int64(0), nil
		}
		p := ai * bi
		if p/bi != ai || (ai == -1 && bi == math.MinInt64) || (bi == -1 && ai == math.MinInt64) {
			return nil, errAt(x, "integer overflow")
		}
		return p, nil
	case "/", "%":
		if bi == 0 {
			return nil, errAt(x, "division by zero")
		}
		if ai == math.MinInt64 && bi == -1 {
			return nil, errAt(x, "integer overflow")
		}
		q, r := ai/bi, ai%bi
		if r != 0 && (r < 0) != (bi < 0) {
			q--
			r += bi
		}
		if x.op == "/" {
			return q, nil
		}
		return r, nil
	}
	return nil, errAt(x, "unknown operator %s", x.op)
}

// equal compares values structurally; each compared element costs a step,
// so comparing huge or self-containing lists stays within the limits.
func (in *interp) equal(n node, a, b any, depth int) (bool, error) {
	if err := in.tick(n); err != nil {
		return false, err
	}
	switch a := a.(type) {
	case *list:
		bl, ok := b.(*list)
		if !ok || len(a.items) != len(bl.items) {
			return false, nil
		}
		if depth > maxParseDepth {
			return false, errAt(n, "comparison nested deeper than %d", maxParseDepth)
		}
		for i := range a.items {
			eq, err := in.equal(n, a.items[i], bl.items[i], depth+1)
			if err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case none:
		_, ok := b.(none)
		return ok, nil
	}
	return a == b, nil
}

func (in *interp) call(x *callExpr, env map[string]any) (any, error) {
	args := make([]any, len(x.args))
	for i, a := range x.args {
		v, err := in.eval(a, env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	if builtins[x.name] {
		return in.builtin(x, args)
	}
	f, ok := in.funcs[x.name]
	if !ok {
		return nil, errAt(x, "undefined function %s", x.name)
	}
	if len(args) != len(f.def.params) {
		return nil, errAt(x, "%s takes %d arguments, got %d", x.name, len(f.def.params), len(args))
	}
	in.depth++
	defer func() { in.depth-- }()
	if in.depth > in.limits.Depth {
		return nil, &rtError{x.line, ErrRecursion}
	}
	if err := in.alloc(x, len(args)+1); err != nil {
		return nil, err
	}
	local := make(map[string]any, len(args))
	for i, p := range f.def.params {
		local[p] = args[i]
	}
	saved := in.inTests
	in.inTests = f.inTests
	_, err := in.block(f.def.body, local)
	in.inTests = saved
	if ret, ok := err.(*retErr); ok {
		return ret.v, nil
	}
	if err != nil {
		return nil, err
	}
	return none{}, nil
}

func (in *interp) builtin(x *callExpr, args []any) (any, error) {
	want := map[string]int{"len": 1, "push": 2, "pop": 1, "str": 1, "range": 1}[x.name]
	if len(args) != want {
		return nil, errAt(x, "%s takes %d arguments, got %d", x.name, want, len(args))
	}
	switch x.name {
	case "len":
		switch v := args[0].(type) {
		case *list:
			return int64(len(v.items)), nil
		case string:
			return int64(len(v)), nil
		}
		return nil, errAt(x, "len of %s", typeName(args[0]))
	case "push":
		l, ok := args[0].(*list)
		if !ok {
			return nil, errAt(x, "push to %s", typeName(args[0]))
		}
		if len(l.items) >= in.limits.ListLen {
			return nil, &rtError{x.line, ErrMemory}
		}
		if err := in.alloc(x, 1); err != nil {
			return nil, err
		}
		l.items = append(l.items, args[1])
		return none{}, nil
	case "pop":
		l, ok := args[0].(*list)
		if !ok || len(l.items) == 0 {
			return nil, errAt(x, "pop from empty or non-list %s", typeName(args[0]))
		}
		v := l.items[len(l.items)-1]
		l.items = l.items[:len(l.items)-1]
		return v, nil
	case "str":
		s, err := in.show(x, args[0], false)
		if err != nil {
			return nil, err
		}
		if err := in.alloc(x, len(s)/8+1); err != nil {
			return nil, err
		}
		return s, nil
	case "range":
		n, ok := args[0].(int64)
		if !ok || n < 0 {
			return nil, errAt(x, "range of %v", args[0])
		}
		if n > int64(in.limits.ListLen) {
			return nil, &rtError{x.line, ErrMemory}
		}
		if err := in.alloc(x, int(n)+1); err != nil {
			return nil, err
		}
		l := &list{items: make([]any, n)}
		for i := range l.items {
			l.items[i] = int64(i)
		}
		return l, nil
	}
	return nil, errAt(x, "undefined function %s", x.name)
}
