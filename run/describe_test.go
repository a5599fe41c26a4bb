package run

import (
	"os"
	"path/filepath"
	"testing"
)

// TestClassifyDir: every kind of directory report may be handed.
func TestClassifyDir(t *testing.T) {
	root := t.TempDir()
	lm := `{"recipe":"grpo","task":"add","k":2,"base_pass_curve":[0.1,0.2],"final_pass_curve":[0.3,0.4]}`
	cases := []struct {
		name  string
		files map[string]string // nil: no directory; "" key: a plain file
		want  DirKind
	}{
		{"missing", nil, KindNotRun},
		{"file", map[string]string{"": "x"}, KindNotRun},
		{"empty", map[string]string{}, KindNotRun},
		{"compare", map[string]string{"compare.json": "{}"}, KindNotRun},
		{"lm-unfinished", map[string]string{ConfigFile: "name: grpo\n"}, KindUnfinished},
		{"control-unfinished", map[string]string{"config.json": "{}"}, KindUnfinished},
		{"truncated", map[string]string{ConfigFile: "name: grpo\n", SummaryFile: `{"recipe": "gr`}, KindFailed},
		{"no-curves", map[string]string{SummaryFile: `{"recipe":"grpo"}`}, KindFailed},
		{"bad-types", map[string]string{SummaryFile: `{"recipe":1}`}, KindFailed},
		{"anonymous", map[string]string{SummaryFile: `{"x":1}`}, KindNotRun},
		{"control", map[string]string{SummaryFile: `{"algo":"ppo","env":"CartPole-v1","final_return":120.5,"eval_returns":[120,121]}`}, KindControl},
		{"lm", map[string]string{ConfigFile: "name: grpo\n", SummaryFile: lm}, KindLM},
	}
	for _, c := range cases {
		dir := filepath.Join(root, c.name)
		if content, ok := c.files[""]; ok {
			os.WriteFile(dir, []byte(content), 0o644)
		} else if c.files != nil {
			os.MkdirAll(dir, 0o755)
			for f, content := range c.files {
				os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644)
			}
		}
		info := ClassifyDir(dir)
		if info.Kind != c.want {
			t.Errorf("%s: kind %v (%s), want %v", c.name, info.Kind, info.Reason, c.want)
		}
		if (info.Kind == KindLM) != (info.LM != nil) || (info.Kind == KindControl) != (info.Control != nil) {
			t.Errorf("%s: summaries do not match the kind %v", c.name, info.Kind)
		}
		if info.Kind != KindLM && info.Kind != KindControl && info.Reason == "" {
			t.Errorf("%s: %v without a reason", c.name, info.Kind)
		}
	}
	if s, ok := MethodSummary("dapo"); !ok || s == "" {
		t.Errorf("MethodSummary(dapo) = %q, %v", s, ok)
	}
	if _, ok := MethodSummary("nosuch"); ok {
		t.Error("MethodSummary of an unknown method")
	}
}
