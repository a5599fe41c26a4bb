package tool

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the lexer and parser of the "run" language (see run.go).

type tokKind int

const (
	tEOF tokKind = iota
	tInt
	tIdent
	tStr
	tOp
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

// ParseError is a syntax error at a 1-based line and column.
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("parse error at %d:%d: %s", e.Line, e.Col, e.Msg)
}

func lex(src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	adv := func(n int) {
		for k := 0; k < n; k++ {
			if src[i] == '\n' {
				line++
				col = 1
			} else {
				col++
			}
			i++
		}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';':
			adv(1)
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				adv(1)
			}
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			toks = append(toks, token{tInt, src[i:j], line, col})
			adv(j - i)
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], line, col})
			adv(j - i)
		case c == '"':
			j := i + 1
			var sb strings.Builder
			for j < len(src) && src[j] != '"' && src[j] != '\n' {
				if src[j] == '\\' && j+1 < len(src) {
					switch src[j+1] {
					case 'n':
						sb.WriteByte('\n')
					case '"', '\\':
						sb.WriteByte(src[j+1])
					default:
						return nil, &ParseError{line, col + j - i, "unknown escape"}
					}
					j += 2
					continue
				}
				sb.WriteByte(src[j])
				j++
			}
			if j >= len(src) || src[j] != '"' {
				return nil, &ParseError{line, col, "unterminated string"}
			}
			toks = append(toks, token{tStr, sb.String(), line, col})
			adv(j + 1 - i)
		default:
			if i+1 < len(src) {
				two := src[i : i+2]
				if two == "==" || two == "!=" || two == "<=" || two == ">=" {
					toks = append(toks, token{tOp, two, line, col})
					adv(2)
					continue
				}
			}
			if strings.IndexByte("+-*/%<>=(){}[],", c) < 0 {
				return nil, &ParseError{line, col, fmt.Sprintf("unexpected character %q", c)}
			}
			toks = append(toks, token{tOp, string(c), line, col})
			adv(1)
		}
	}
	return append(toks, token{tEOF, "", line, col}), nil
}

// AST.
type (
	node interface{ pos() (int, int) }
	at   struct{ line, col int }

	intLit struct {
		at
		v int64
	}
	strLit struct {
		at
		v string
	}
	boolLit struct {
		at
		v bool
	}
	noneLit struct{ at }
	varRef  struct {
		at
		name string
	}
	listLit struct {
		at
		items []node
	}
	unOp struct {
		at
		op string
		x  node
	}
	binOp struct {
		at
		op   string
		x, y node
	}
	callExpr struct {
		at
		name string
		args []node
	}
	indexExpr struct {
		at
		x, i node
	}

	assignStmt struct {
		at
		name  string
		index node // nil for a plain assignment
		value node
	}
	exprStmt struct {
		at
		x node
	}
	ifStmt struct {
		at
		cond       node
		then, els_ []node
	}
	whileStmt struct {
		at
		cond node
		body []node
	}
	defStmt struct {
		at
		name   string
		params []string
		body   []node
	}
	returnStmt struct {
		at
		x node // may be nil
	}
	printStmt struct {
		at
		args []node
	}
	assertStmt struct {
		at
		x node
	}
)

func (a at) pos() (int, int) { return a.line, a.col }

// maxParseDepth bounds syntactic nesting so the recursive parser and
// evaluator cannot exhaust the Go stack.
const maxParseDepth = 100

type parser struct {
	toks  []token
	i     int
	depth int
}

func parseProgram(src string) ([]node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	var prog []node
	for p.peek().kind != tEOF {
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		prog = append(prog, s)
	}
	return prog, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }
func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tOp || t.kind == tIdent) && t.text == text
}
func (p *parser) errf(t token, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if t.kind == tEOF {
		msg += " (at end of program)"
	} else {
		msg += fmt.Sprintf(" (found %q)", t.text)
	}
	return &ParseError{t.line, t.col, msg}
}
func (p *parser) expect(text string) error {
	if !p.is(text) {
		return p.errf(p.peek(), "expected %q", text)
	}
	p.i++
	return nil
}

var keywords = map[string]bool{"def": true, "if": true, "else": true, "while": true, "return": true,
	"print": true, "assert": true, "and": true, "or": true, "not": true, "true": true, "false": true, "none": true}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.errf(p.peek(), "nesting deeper than %d", maxParseDepth)
	}
	return nil
}

func (p *parser) block() ([]node, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var body []node
	for !p.is("}") {
		if p.peek().kind == tEOF {
			return nil, p.errf(p.peek(), "expected \"}\"")
		}
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		body = append(body, s)
	}
	p.i++
	return body, nil
}

func (p *parser) stmt() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	a := at{t.line, t.col}
	if t.kind == tIdent {
		switch t.text {
		case "def":
			p.i++
			name := p.next()
			if name.kind != tIdent || keywords[name.text] {
				return nil, p.errf(name, "expected function name")
			}
			if err := p.expect("("); err != nil {
				return nil, err
			}
			var params []string
			for !p.is(")") {
				if len(params) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
				}
				pt := p.next()
				if pt.kind != tIdent || keywords[pt.text] {
					return nil, p.errf(pt, "expected parameter name")
				}
				params = append(params, pt.text)
			}
			p.i++
			body, err := p.block()
			if err != nil {
				return nil, err
			}
			return &defStmt{a, name.text, params, body}, nil
		case "if":
			p.i++
			cond, err := p.expr()
			if err != nil {
				return nil, err
			}
			then, err := p.block()
			if err != nil {
				return nil, err
			}
			s := &ifStmt{at: a, cond: cond, then: then}
			if p.is("else") {
				p.i++
				if p.is("if") {
					e, err := p.stmt()
					if err != nil {
						return nil, err
					}
					s.els_ = []node{e}
				} else if s.els_, err = p.block(); err != nil {
					return nil, err
				}
			}
			return s, nil
		case "while":
			p.i++
			cond, err := p.expr()
			if err != nil {
				return nil, err
			}
			body, err := p.block()
			if err != nil {
				return nil, err
			}
			return &whileStmt{a, cond, body}, nil
		case "return":
			p.i++
			if p.is("}") || p.peek().kind == tEOF || p.peek().line != t.line {
				return &returnStmt{a, nil}, nil
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return &returnStmt{a, x}, nil
		case "print":
			p.i++
			if err := p.expect("("); err != nil {
				return nil, err
			}
			args, err := p.args(")")
			if err != nil {
				return nil, err
			}
			return &printStmt{a, args}, nil
		case "assert":
			p.i++
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return &assertStmt{a, x}, nil
		}
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.is("=") {
		p.i++
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		switch target := x.(type) {
		case *varRef:
			return &assignStmt{a, target.name, nil, v}, nil
		case *indexExpr:
			if ref, ok := target.x.(*varRef); ok {
				return &assignStmt{a, ref.name, target.i, v}, nil
			}
		}
		return nil, &ParseError{a.line, a.col, "cannot assign to this expression"}
	}
	return &exprStmt{a, x}, nil
}

func (p *parser) args(closing string) ([]node, error) {
	var args []node
	for !p.is(closing) {
		if len(args) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	p.i++
	return args, nil
}

// Binary operator precedence, lowest first.
var levels = [][]string{{"or"}, {"and"}, {"==", "!=", "<", "<=", ">", ">="}, {"+", "-"}, {"*", "/", "%"}}

func (p *parser) expr() (node, error) { return p.binary(0) }

func (p *parser) binary(level int) (node, error) {
	if level == len(levels) {
		return p.unary()
	}
	x, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		matched := false
		for _, op := range levels[level] {
			if (t.kind == tOp || t.kind == tIdent) && t.text == op {
				matched = true
			}
		}
		if !matched {
			return x, nil
		}
		p.i++
		y, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		x = &binOp{at{t.line, t.col}, t.text, x, y}
	}
}

func (p *parser) unary() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if p.is("-") || p.is("not") {
		p.i++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &unOp{at{t.line, t.col}, t.text, x}, nil
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.is("[") {
		b := p.next()
		i, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		x = &indexExpr{at{b.line, b.col}, x, i}
	}
	return x, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	a := at{t.line, t.col}
	switch t.kind {
	case tInt:
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, &ParseError{t.line, t.col, "integer literal out of range"}
		}
		return &intLit{a, v}, nil
	case tStr:
		return &strLit{a, t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return &boolLit{a, t.text == "true"}, nil
		case "none":
			return &noneLit{a}, nil
		}
		if keywords[t.text] {
			p.i--
			return nil, p.errf(t, "unexpected keyword")
		}
		if p.is("(") {
			p.i++
			args, err := p.args(")")
			if err != nil {
				return nil, err
			}
			return &callExpr{a, t.text, args}, nil
		}
		return &varRef{a, t.text}, nil
	case tOp:
		switch t.text {
		case "(":
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		case "[":
			items, err := p.args("]")
			if err != nil {
				return nil, err
			}
			return &listLit{a, items}, nil
		}
	}
	p.i--
	return nil, p.errf(t, "expected an expression")
}
