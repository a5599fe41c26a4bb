package dataset

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/task"
	"github.com/parquet-go/parquet-go"
)

func shared(t *testing.T, rel string) string {
	p := filepath.Join("..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not available", p)
	}
	return p
}

func TestBuiltInFormatsLoadAndSolve(t *testing.T) {
	for _, tc := range []struct {
		file string
		opts Options
		n    int
	}{
		{"gsm8k/test.jsonl", GSM8K, 1319},
		{"math500/test.jsonl", MATH, 500},
	} {
		d, err := Load(shared(t, tc.file), tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Problems) != tc.n || d.Bad != 0 {
			t.Fatalf("%s: %d problems, %d bad; want %d", tc.file, len(d.Problems), d.Bad, tc.n)
		}
		// The dataset is a task: its reference solutions grade correct.
		var tk task.Task = d
		ps, err := task.Generate(tk, task.Test, 1, 50, task.DefaultTemplate)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		for _, p := range ps {
			sol := task.Solve(tk, p, task.DefaultTemplate, task.Noise{}, r)
			if !tk.Grade(p, sol).Correct {
				t.Fatalf("%s: reference solution of %q graded wrong:\n%s", tc.file, p.Question, sol)
			}
		}
	}
}

func TestMalformedLinesNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl")
	os.WriteFile(path, []byte(`{"q":"1+1","a":"2"}
{"q":"2+2",
{"q":"3+3"}

{"q":"4+4","a":4}
`), 0o644)
	opts := Options{Fields: Mapping{Question: "q", Answer: "a"}}
	_, err := Load(path, opts)
	if err == nil || !strings.Contains(err.Error(), "d.jsonl:2") {
		t.Fatalf("got %v, want an error naming d.jsonl:2", err)
	}
	opts.SkipBad = true
	d, err := Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Problems) != 2 || d.Bad != 2 || d.Problems[1].Answer != "4" {
		t.Fatalf("skip_bad: %d problems, %d bad: %+v", len(d.Problems), d.Bad, d.Problems)
	}
	if _, err := Load(path, Options{Fields: Mapping{Question: "q"}}); err == nil {
		t.Fatal("a mapping without answer must fail")
	}
}

type pqRow struct {
	Problem string `parquet:"problem"`
	Answer  string `parquet:"answer"`
	Level   int64  `parquet:"level"`
}

func TestParquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.parquet")
	rows := []pqRow{{"What is 2+3?", "5", 1}, {"Simplify 6/8.", `\frac{3}{4}`, 2}, {"Empty", "", 3}}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	opts := Options{Format: "math", Fields: Mapping{Question: "problem", Answer: "answer"}}
	if _, err := Load(path, opts); err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("got %v, want an error naming row 3", err)
	}
	opts.SkipBad = true
	d, err := Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Problems) != 2 || d.Bad != 1 || d.Problems[1].Difficulty != 2 {
		t.Fatalf("parquet: %+v, bad %d", d.Problems, d.Bad)
	}
	if !d.Grade(d.Problems[1], `so it is \boxed{0.75}`).Correct {
		t.Fatal("0.75 should match 3/4")
	}
	os.WriteFile(path, []byte("not parquet"), 0o644)
	if _, err := Load(path, opts); err == nil || !strings.Contains(err.Error(), "Parquet") {
		t.Fatalf("garbage file: got %v", err)
	}
}
