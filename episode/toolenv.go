package episode

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tool"
)

func init() {
	register("tool", newToolEnv)
}

// toolCfg is the tool environment's settings, shared by its episodes.
type toolCfg struct {
	d        Deps
	names    []string
	tools    map[string]tool.Tool
	stops    [][]int32
	maxCalls int
	timeout  time.Duration
	demoRate float64
}

// newToolEnv builds the tool environment: params.tools names the tools
// (calc, search, run), params.options holds each tool's options by name,
// params.max_calls bounds calls per episode (a call beyond it is graded as
// the final answer), params.timeout_ms bounds each call, and
// params.demo_call_rate is the share of pretraining demonstrations that
// use the first tool (the rest are the task's plain solutions).
func newToolEnv(o Options, d Deps) (Factory, error) {
	if err := checkParams(o, "tools", "options", "max_calls", "timeout_ms", "demo_call_rate"); err != nil {
		return nil, err
	}
	raw, err := param(o, "tools", []any{"calc"})
	if err != nil {
		return nil, err
	}
	opts, err := param(o, "options", map[string]any{})
	if err != nil {
		return nil, err
	}
	c := &toolCfg{d: d, tools: map[string]tool.Tool{}}
	if c.maxCalls, err = param(o, "max_calls", 4); err != nil {
		return nil, err
	}
	ms, err := param(o, "timeout_ms", 1000)
	if err != nil {
		return nil, err
	}
	c.timeout = time.Duration(ms) * time.Millisecond
	if c.demoRate, err = param(o, "demo_call_rate", 0.3); err != nil {
		return nil, err
	}
	if c.maxCalls < 1 || ms < 1 || c.demoRate < 0 || c.demoRate > 1 {
		return nil, fmt.Errorf("params: max_calls >= 1, timeout_ms >= 1, demo_call_rate in [0, 1]")
	}
	for _, r := range raw {
		name, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("params.tools: %v is not a tool name (known: %s)", r, strings.Join(tool.Names(), ", "))
		}
		to, _ := opts[name].(map[string]any)
		t, err := tool.New(name, to)
		if err != nil {
			return nil, fmt.Errorf("params.tools: %w", err)
		}
		ids, err := d.Codec.Encode("</" + name + ">")
		if err != nil {
			return nil, fmt.Errorf("params.tools: the closing tag of %s: %w", name, err)
		}
		c.names = append(c.names, name)
		c.tools[name] = t
		c.stops = append(c.stops, ids)
	}
	for k := range opts {
		if c.tools[k] == nil {
			return nil, fmt.Errorf("params.options.%s: not one of the episode's tools %v", k, c.names)
		}
	}
	return func(p task.Problem) Env { return &toolEnv{c: c, p: p} }, nil
}

// toolEnv lets the policy call tools: a turn that ends with a complete
// call `<name>input</name>` is answered by the tool's output as a tool
// segment (`<result>…</result>` or `<error>…</error>`), and the policy
// continues; a turn that ends otherwise (EOS, or its token budget) is the
// final answer, graded by the task. Info counts tool_calls and
// tool_errors; a tool that hangs is cut at the timeout and answers with an
// error.
type toolEnv struct {
	c     *toolCfg
	p     task.Problem
	calls int
	errs  int
}

func (e *toolEnv) Reset() (Observation, error) {
	obs, err := e.c.d.prompt(e.p)
	obs.StopSeqs = e.c.stops
	return obs, err
}

func (e *toolEnv) Step(a Action) (Transition, error) {
	if call, ok := tool.FindLastCall(a.Text, e.c.names); ok && a.Stopped && !a.EOS && e.calls < e.c.maxCalls {
		e.calls++
		out, err := e.call(call.Tool, call.Input)
		if err != nil {
			e.errs++
		}
		text := tool.Format(out, err)
		ids, text := e.encode(text)
		return Transition{Info: e.info(),
			Obs: &Observation{Role: RoleTool, Source: call.Tool, Text: text, IDs: ids, StopSeqs: e.c.stops}}, nil
	}
	rw := e.c.d.Task.Grade(e.p, a.Text)
	return Transition{Reward: rw.Reward, Correct: rw.Correct, Done: true, Info: e.info()}, nil
}

// call runs one tool call, cut at the timeout even when the tool ignores
// its context (its goroutine is then abandoned).
func (e *toolEnv) call(name, input string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e.c.timeout)
	defer cancel()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{"", fmt.Errorf("tool %s failed: %v", name, r)}
			}
		}()
		out, err := e.c.tools[name].Call(ctx, input)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("tool %s: no answer within %v", name, e.c.timeout)
	}
}

func (e *toolEnv) info() map[string]float64 {
	return map[string]float64{"tool_calls": float64(e.calls), "tool_errors": float64(e.errs)}
}

// encode encodes a tool's output, dropping characters the codec cannot
// represent (tool output is untrusted text).
func (e *toolEnv) encode(text string) ([]int32, string) {
	if ids, err := e.c.d.Codec.Encode(text); err == nil {
		return ids, text
	}
	var ids []int32
	var kept strings.Builder
	for _, r := range text {
		if x, err := e.c.d.Codec.Encode(string(r)); err == nil {
			ids = append(ids, x...)
			kept.WriteRune(r)
		}
	}
	return ids, kept.String()
}

// Demo shows, with probability demo_call_rate, the first tool computing
// the question's expression and the answer copied from its result;
// otherwise the task's plain (noisy) solution.
func (e *toolEnv) Demo(solve func() string, r *rand.Rand) []DemoPart {
	if len(e.c.names) > 0 && r.Float64() < e.c.demoRate {
		expr := strings.TrimSuffix(strings.TrimSpace(e.p.Question), "=")
		name := e.c.names[0]
		out, err := e.call(name, expr)
		if err == nil {
			return []DemoPart{{Text: "<" + name + ">" + expr + "</" + name + ">", Policy: true, NoEOS: true},
				{Text: tool.Format(out, nil)}, {Text: e.c.d.Template.AnswerPrefix + out, Policy: true}}
		}
	}
	return []DemoPart{{Text: solve(), Policy: true}}
}
