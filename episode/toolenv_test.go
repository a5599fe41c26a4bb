package episode

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tool"
)

// hangingTool never answers on its own.
type hangingTool struct{}

func (hangingTool) Name() string { return "calc" }
func (hangingTool) Call(ctx context.Context, input string) (string, error) {
	select {} // ignores its context: the environment must still cut it
}

// TestToolEnvironment walks a calculator episode by hand: a call ending
// on the closing tag is answered by a tool segment, the final answer is
// graded, calls are counted; a hanging tool is cut at the timeout with an
// error observation; bad settings name the field.
func TestToolEnvironment(t *testing.T) {
	_, tok := testModel(t, 64)
	tk, err := task.New("mul", nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := task.Generate(tk, task.Train, 2, 1, task.DefaultTemplate)
	p := ps[0]
	f, err := New(Options{Name: "tool", MaxTurns: 4, Params: map[string]any{"tools": []any{"calc"}, "timeout_ms": 200}},
		Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok})
	if err != nil {
		t.Fatal(err)
	}
	env := f(p)
	obs, err := env.Reset()
	if err != nil || len(obs.StopSeqs) != 1 {
		t.Fatalf("reset: %v, stop sequences %v", err, obs.StopSeqs)
	}
	expr := strings.TrimSuffix(p.Question, "=")
	tr, err := env.Step(Action{Text: "<calc>" + expr + "</calc>", Stopped: true})
	if err != nil || tr.Done || tr.Obs == nil || tr.Obs.Role != RoleTool || tr.Obs.Source != "calc" ||
		tr.Obs.Text != "<result>"+p.Answer+"</result>\n" || tr.Info["tool_calls"] != 1 {
		t.Fatalf("call: %v %+v", err, tr.Obs)
	}
	tr, _ = env.Step(Action{Text: "#### " + p.Answer, Stopped: true, EOS: true})
	if !tr.Done || !tr.Correct || tr.Reward != 1 {
		t.Fatalf("final answer: %+v", tr)
	}
	// A hanging tool answers with an error observation within its timeout.
	c := &toolCfg{d: Deps{Task: tk, Codec: tok}, names: []string{"calc"}, tools: map[string]tool.Tool{"calc": hangingTool{}},
		maxCalls: 2, timeout: 50 * time.Millisecond}
	h := &toolEnv{c: c, p: p}
	start := time.Now()
	tr, _ = h.Step(Action{Text: "<calc>1+1</calc>", Stopped: true})
	if time.Since(start) > time.Second || tr.Obs == nil || !strings.Contains(tr.Obs.Text, "<error>") || tr.Info["tool_errors"] != 1 {
		t.Fatalf("hanging tool: %v after %v", tr.Obs, time.Since(start))
	}
	for _, bad := range []map[string]any{{"tools": []any{"teleport"}}, {"max_calls": 0}, {"options": map[string]any{"search": map[string]any{}}}, {"nope": 1}} {
		if _, err := New(Options{Name: "tool", Params: bad}, Deps{Codec: tok}); err == nil {
			t.Errorf("params %v accepted", bad)
		}
	}
}
