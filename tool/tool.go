// Package tool provides the tools a policy may call during a multi-turn
// episode: "calc" (exact rational calculator), "search" (BM25 retrieval over
// a local JSONL corpus) and "run" (a sandboxed interpreter for a tiny
// program language with time, step, memory and recursion limits).
//
// A call is written by the model as `<name>input</name>` at the end of its
// generated text; FindLastCall finds it, Tool.Call runs it and Format renders
// the observation appended to the context. Every input is untrusted: tools
// never panic, touch no files or network at call time, and return within
// their limits.
package tool

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxInput is the largest call input, in bytes, that FindLastCall accepts.
const MaxInput = 8192

// MaxOutput is the largest observation body, in bytes, that Format keeps.
const MaxOutput = 4096

// Tool runs one call: input is the text between the call tags, written by a
// model (untrusted). The returned output becomes an observation segment.
// An error is reported to the model as an error observation (the caller
// formats it); Call never panics and always returns within its limits.
type Tool interface {
	Name() string // "calc", "search", "run"
	Call(ctx context.Context, input string) (string, error)
}

// Call is one tool call found in generated text.
type Call struct {
	Tool, Input string
	Start, End  int // byte offsets of the whole call in the text
}

// FindLastCall returns the complete call `<name>input</name>` that ends the
// text (after trailing whitespace), for any of the given tool names; ok is
// false when the text does not end with a complete call. Calls with nested or
// unbalanced tags, or inputs over MaxInput bytes, are not calls.
func FindLastCall(text string, names []string) (c Call, ok bool) {
	trimmed := strings.TrimRight(text, " \t\r\n")
	for _, name := range names {
		if name == "" {
			continue
		}
		open, closing := "<"+name+">", "</"+name+">"
		if !strings.HasSuffix(trimmed, closing) {
			continue
		}
		end := len(trimmed)
		body := trimmed[:end-len(closing)]
		start := strings.LastIndex(body, open)
		if start < 0 {
			return Call{}, false
		}
		if strings.LastIndex(body[:start], open) > strings.LastIndex(body[:start], closing) {
			return Call{}, false // an earlier open tag is still unclosed: nested
		}
		input := body[start+len(open):]
		if len(input) > MaxInput {
			return Call{}, false
		}
		for _, other := range names {
			if other == "" {
				continue
			}
			if strings.Contains(input, "<"+other+">") || strings.Contains(input, "</"+other+">") {
				return Call{}, false
			}
		}
		return Call{Tool: name, Input: input, Start: start, End: end}, true
	}
	return Call{}, false
}

// Format renders a tool's result as the observation text appended to the
// context: "<result>OUT</result>\n" or "<error>MSG</error>\n". A body over
// MaxOutput bytes is cut at a UTF-8 boundary and followed by
// "...[truncated N bytes]" naming how many bytes were dropped.
func Format(out string, err error) string {
	if err != nil {
		return "<error>" + truncate(err.Error()) + "</error>\n"
	}
	return "<result>" + truncate(out) + "</result>\n"
}

func truncate(s string) string {
	if len(s) <= MaxOutput {
		return s
	}
	cut := MaxOutput
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("...[truncated %d bytes]", len(s)-cut)
}

// builders maps each tool name to its constructor from options.
var builders = map[string]func(opts map[string]any) (Tool, error){
	"calc":   newCalcFromOptions,
	"search": newSearchFromOptions,
	"run":    newRunFromOptions,
}

// Names returns the known tool names, sorted.
func Names() []string {
	names := make([]string, 0, len(builders))
	for n := range builders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds a tool by name from its options (a YAML/JSON-decoded map, e.g.
// from a recipe): "calc" (options max_digits, max_depth), "search" (option
// "corpus": path to a JSONL file of {"id","text"[,"title"]} lines, "k":
// results, "k1", "b"), "run" (options steps, memory, depth, time_ms,
// list_len). Unknown names and bad options are errors naming the option and
// the known tools.
func New(name string, opts map[string]any) (Tool, error) {
	b, ok := builders[name]
	if !ok {
		return nil, fmt.Errorf("tool: unknown tool %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	t, err := b(opts)
	if err != nil {
		return nil, fmt.Errorf("tool %q (known: %s): %w", name, strings.Join(Names(), ", "), err)
	}
	return t, nil
}

// checkKeys rejects option keys outside allowed.
func checkKeys(opts map[string]any, allowed ...string) error {
	for k := range opts {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("unknown option %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// intOption reads a positive integer option (int, int64 or integral float64
// as decoded from YAML/JSON), or def when absent.
func intOption(opts map[string]any, key string, def int) (int, error) {
	v, ok := opts[key]
	if !ok {
		return def, nil
	}
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		if x != float64(int(x)) {
			return 0, fmt.Errorf("option %q: %v is not an integer", key, v)
		}
		n = int(x)
	default:
		return 0, fmt.Errorf("option %q: %v (%T) is not an integer", key, v, v)
	}
	if n <= 0 {
		return 0, fmt.Errorf("option %q: %d must be positive", key, n)
	}
	return n, nil
}

// floatOption reads a non-negative number option, or def when absent.
func floatOption(opts map[string]any, key string, def float64) (float64, error) {
	v, ok := opts[key]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case float64:
		if x < 0 {
			return 0, fmt.Errorf("option %q: %v must be non-negative", key, x)
		}
		return x, nil
	}
	return 0, fmt.Errorf("option %q: %v (%T) is not a number", key, v, v)
}
