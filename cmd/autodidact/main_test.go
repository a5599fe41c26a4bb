package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestBenchPrintsTokensPerSecondLast(t *testing.T) {
	for _, kind := range []string{"train", "sample"} {
		var out, errb bytes.Buffer
		args := []string{"bench", kind, "--d", "32", "--layers", "1", "--heads", "2", "--ff", "48", "--vocab", "16",
			"--seq", "16", "--batch", "4", "--prompt", "4", "--new", "6", "--steps", "2"}
		if err := dispatch(args, &out, &errb); err != nil {
			t.Fatalf("%s: %v (%s)", kind, err, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if !strings.HasPrefix(lines[0], "BLAS: ") {
			t.Errorf("%s: first line %q should name the BLAS backend", kind, lines[0])
		}
		if last := lines[len(lines)-1]; !regexp.MustCompile(`^tokens/s=[0-9]+(\.[0-9]+)?$`).MatchString(last) {
			t.Errorf("%s: last line %q, want tokens/s=<number>", kind, last)
		}
		out.Reset()
		if err := dispatch(append(args, "--json"), &out, &errb); err != nil {
			t.Fatal(err)
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["tokens_per_s"].(float64) <= 0 {
			t.Fatalf("%s --json: %v, %s", kind, err, out.String())
		}
	}
}

func TestUnknownCommandAndFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := dispatch([]string{"frobnicate"}, &out, &errb); err == nil {
		t.Error("unknown command must fail")
	}
	if err := dispatch([]string{"bench", "train", "--nope"}, &out, &errb); err == nil {
		t.Error("unknown flag must fail")
	}
	if err := dispatch([]string{"bench", "train", "--d", "30", "--heads", "4"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "head dimension") && !strings.Contains(err.Error(), "divisible") {
		t.Errorf("bad shape: got %v, want an error naming the config field", err)
	}
}

func TestGradeCommand(t *testing.T) {
	in := strings.NewReader(`{"gold":"#### 18","response":"so 9*2=18 dollars","id":1}
{"gold":"\\frac{1}{2}","response":"\\boxed{0.5}","format":"math"}

{"gold":42,"response":"no idea"}
`)
	var out, errb bytes.Buffer
	if err := gradeLines(in, "in", &out, &errb, "auto", false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{`"correct":true`, `"correct":true`, `"correct":false`}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %s, want %s", i+1, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], `"id":1`) || !strings.Contains(lines[0], `"pred":"18"`) || !strings.Contains(lines[2], `"pred":null`) {
		t.Errorf("fields not kept or pred wrong: %v", lines)
	}
	bad := strings.NewReader("{\"gold\":\"1\",\"response\":\"1\"}\nnot json\n{\"response\":\"x\"}\n")
	out.Reset()
	if err := gradeLines(bad, "in.jsonl", &out, &errb, "auto", false); err == nil || !strings.Contains(err.Error(), "in.jsonl:2") {
		t.Fatalf("got %v, want an error naming in.jsonl:2", err)
	}
	bad = strings.NewReader("{\"gold\":\"1\",\"response\":\"1\"}\nnot json\n{\"response\":\"x\"}\n")
	out.Reset()
	errb.Reset()
	if err := gradeLines(bad, "in.jsonl", &out, &errb, "auto", true); err != nil || !strings.Contains(errb.String(), "2 malformed") {
		t.Fatalf("skip-bad: %v, %s", err, errb.String())
	}
}

func TestTasksCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := dispatch([]string{"tasks"}, &out, &errb); err != nil || !strings.Contains(out.String(), "countdown") {
		t.Fatalf("tasks: %v %s", err, out.String())
	}
	out.Reset()
	if err := dispatch([]string{"tasks", "sample", "add", "-n", "3", "--param", "max_digits=2"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(out.String(), "solution correct: true"); c != 3 {
		t.Fatalf("want 3 correct reference solutions, got %d:\n%s", c, out.String())
	}
	if err := dispatch([]string{"tasks", "sample", "add", "--param", "digits=2"}, &out, &errb); err == nil {
		t.Fatal("unknown task parameter must fail")
	}
}

// TestRunSmokeAndShow runs a two-turn recipe's smoke configuration from
// the command line and prints its episodes.
func TestRunSmokeAndShow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	dir := t.TempDir() + "/run"
	var out, errb bytes.Buffer
	if err := dispatch([]string{"run", "two_turn", "--smoke", "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("run --smoke: %v\n%s", err, errb.String())
	}
	out.Reset()
	if err := dispatch([]string{"show", dir, "-n", "1", "--by", "advantage"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[prompt]", "[policy]", "[observation]", "Check again.", "advantage:"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("show output lacks %q:\n%s", want, out.String())
		}
	}
	if err := dispatch([]string{"show", dir, "--step", "99"}, &out, &errb); err == nil {
		t.Fatal("a step with no episodes must be an error")
	}
	if err := dispatch([]string{"run", "--resume", t.TempDir()}, &out, &errb); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Fatalf("resume of a non-run: %v", err)
	}
}
