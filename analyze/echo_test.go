package analyze

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rec is a samples.jsonl line with one prompt and one policy segment.
func rec(step int, completion string, correct bool) string {
	b, _ := json.Marshal(map[string]any{
		"gstep": 100 + step, "step": step, "episode": 0, "group": 0, "env": "single", "correct": correct,
		"segments": []map[string]any{
			{"role": "prompt", "text": "3+4\n", "ids": []int{1}, "trainable": false},
			{"role": "policy", "text": completion, "ids": []int{2}, "trainable": true, "logprobs": []float64{-0.1}},
		},
	})
	return string(b)
}

// Hand-computed with buckets of 5 steps:
//
//	steps 1-5:  direct (wrong), direct (right), steps (right) → n 3, acc 2/3;
//	            direct share 2/3 acc 1/2, steps share 1/3 acc 1
//	steps 6-10: steps (right), steps (wrong) → n 2, acc 1/2;
//	            direct share 0 acc -, steps share 1 acc 1/2
//	all:        n 5, acc 3/5; direct 2/5 acc 1/2, steps 3/5 acc 2/3
func TestEcho(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		rec(1, "3+4=7\n#### 7", true),
		rec(1, "#### 8", false),
		rec(2, "#### 7", true),
		rec(6, "1+1=2\n#### 2", true),
		rec(7, "2*3=6\n#### 7", false),
	}
	os.WriteFile(filepath.Join(dir, "samples.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	r, err := EchoWith(dir, EchoOptions{Bucket: 5})
	if err != nil {
		t.Fatal(err)
	}
	if r.Records != 5 || len(r.Buckets) != 2 || strings.Join(r.Styles, ",") != "direct,steps" {
		t.Fatalf("report %+v", r)
	}
	type style struct {
		n     int
		share float64
		acc   float64 // -1: none
	}
	check := func(label string, b EchoBucket, first, last, n int, acc float64, want []style) {
		t.Helper()
		if b.FirstStep != first || b.LastStep != last || b.N != n || !near(b.Accuracy, acc) {
			t.Errorf("%s: steps %d-%d n %d acc %v, want %d-%d %d %v", label, b.FirstStep, b.LastStep, b.N, b.Accuracy, first, last, n, acc)
		}
		for i, w := range want {
			s := b.Styles[i]
			gotAcc := -1.0
			if s.Accuracy != nil {
				gotAcc = *s.Accuracy
			}
			if s.N != w.n || !near(s.Share, w.share) || !near(gotAcc, w.acc) {
				t.Errorf("%s %s: n %d share %v acc %v, want %d %v %v", label, s.Style, s.N, s.Share, gotAcc, w.n, w.share, w.acc)
			}
		}
	}
	check("1-5", r.Buckets[0], 1, 5, 3, 2.0/3, []style{{2, 2.0 / 3, 0.5}, {1, 1.0 / 3, 1}})
	check("6-10", r.Buckets[1], 6, 10, 2, 0.5, []style{{0, 0, -1}, {2, 1, 0.5}})
	check("all", r.Total, 1, 10, 5, 0.6, []style{{2, 0.4, 0.5}, {3, 0.6, 2.0 / 3}})

	// Default buckets of 10 steps: one bucket equal to the total.
	r10, err := Echo(dir)
	if err != nil || len(r10.Buckets) != 1 || r10.Buckets[0].N != 5 || r10.Bucket != 10 {
		t.Errorf("default bucket: %v %+v", err, r10)
	}

	// A plugged-in classifier: long (> 6 characters) vs short.
	byLen := func(s string) string {
		if len(s) > 6 {
			return "long"
		}
		return "short"
	}
	rl, err := EchoWith(filepath.Join(dir, "samples.jsonl"), EchoOptions{Bucket: 5, Classify: byLen})
	if err != nil || strings.Join(rl.Styles, ",") != "long,short" || rl.Total.Styles[0].N != 3 || rl.Total.Styles[1].N != 2 {
		t.Errorf("length classifier: %v %+v", err, rl)
	}

	var out bytes.Buffer
	if err := WriteEcho(&out, r, "text"); err != nil || !strings.Contains(out.String(), "6-10") || !strings.Contains(out.String(), "0.667") {
		t.Errorf("text: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := WriteEcho(&out, r, "json"); err != nil {
		t.Fatal(err)
	}
	var back EchoReport
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Total.N != 5 || back.Buckets[1].Styles[0].Accuracy != nil {
		t.Errorf("json round trip: %v %+v", err, back)
	}
	if err := WriteEcho(&out, r, "csv"); err == nil {
		t.Error("format csv: no error")
	}
}

// A line without "step" falls back to "gstep"; a last line without its
// newline still counts; blank lines are skipped.
func TestEchoGStepAndLastLine(t *testing.T) {
	r, err := EchoReader(strings.NewReader(`{"gstep":3,"correct":true,"segments":[{"text":"#### 1","trainable":true}]}`+"\n\n"+
		`{"gstep":12,"correct":false,"segments":[{"text":"1+1=2","trainable":true}]}`), "mem", EchoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Records != 2 || len(r.Buckets) != 2 || r.Buckets[0].FirstStep != 1 || r.Buckets[1].FirstStep != 11 {
		t.Errorf("report %+v", r)
	}
}

func TestEchoErrors(t *testing.T) {
	dir := t.TempDir()
	good := rec(1, "#### 7", true)
	for _, c := range []struct {
		name, content, want string
	}{
		{"truncated line", good + "\n" + good[:len(good)/2] + "\n", "line 2"},
		{"truncated last line", good + "\n" + good[:len(good)/2], "line 2"},
		{"not JSON", "hello\n", "line 1"},
		{"no step", `{"correct":true,"segments":[]}` + "\n", "no step"},
		{"negative step", `{"step":-2,"segments":[]}` + "\n", "step -2"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".jsonl")
		os.WriteFile(path, []byte(c.content), 0o644)
		_, err := EchoWith(path, EchoOptions{})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and %q", c.name, err, path, c.want)
		}
	}
	if _, err := Echo(filepath.Join(dir, "no-run")); err == nil || !strings.Contains(err.Error(), "no-run") {
		t.Errorf("missing run: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	if _, err := Echo(empty); err == nil || !strings.Contains(err.Error(), filepath.Join(empty, "samples.jsonl")) {
		t.Errorf("run without samples.jsonl: %v", err)
	}
	os.WriteFile(filepath.Join(empty, "samples.jsonl"), nil, 0o644)
	if r, err := Echo(empty); err != nil || r.Records != 0 || r.Total.N != 0 {
		t.Errorf("empty samples.jsonl: %v %+v", err, r)
	}
	if _, err := EchoWith(empty, EchoOptions{Bucket: -1}); err == nil {
		t.Error("bucket -1: no error")
	}
}
