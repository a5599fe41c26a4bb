package tool

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	got := strings.Join(Tokenize("Hello, World! x2-y_3 Ünï"), "|")
	if want := "hello|world|x2|y|3|ünï"; got != want {
		t.Errorf("Tokenize = %q, want %q", got, want)
	}
}

// TestBM25ByHand checks scores computed by hand on testdata/corpus.jsonl:
// lengths 3, 5, 4 (d2's title "Dogs" counts), avgdl 4, N 3.
func TestBM25ByHand(t *testing.T) {
	docs, err := LoadCorpus("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSearch(docs, 3, 1.2, 0.75)
	idf := math.Log(1 + 1.5/2.5) // "cat" and "dog" are each in 2 of 3 docs
	tests := []struct {
		query string
		doc   int
		want  float64
	}{
		{"cat", 0, idf * 2.2 / (1 + 1.2*(0.25+0.75*3.0/4))},
		{"cat", 1, 0},
		{"cat", 2, idf * 2.2 / 2.2},
		{"dog", 1, idf * 2.2 / (1 + 1.2*(0.25+0.75*5.0/4))},
		{"CAT cat dog", 2, 2 * idf},
		{"the", 0, idf * 2.2 / 1.975},
	}
	for _, tc := range tests {
		if got := s.Score(tc.query, tc.doc); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Score(%q, d%d) = %v, want %v", tc.query, tc.doc+1, got, tc.want)
		}
	}
	out, err := s.Call(context.Background(), "dog")
	if err != nil {
		t.Fatal(err)
	}
	// d3 (1.0*idf) outranks d2 (0.907*idf).
	if want := "[d3] cat and dog play\n[d2] Dogs: the dog ran far"; out != want {
		t.Errorf("Call(dog) = %q, want %q", out, want)
	}
	if _, err := s.Call(context.Background(), " ,. "); err == nil {
		t.Error("empty query: no error")
	}
	if out, _ := s.Call(context.Background(), "zebra"); out != "no results" {
		t.Errorf("Call(zebra) = %q", out)
	}
}

func TestLoadCorpusErrors(t *testing.T) {
	_, err := LoadCorpus("testdata/bad.jsonl")
	if err == nil || !strings.Contains(err.Error(), "testdata/bad.jsonl:2") {
		t.Errorf("bad line: err %v, want naming testdata/bad.jsonl:2", err)
	}
	if docs, err := LoadCorpus("testdata/extra.jsonl"); err != nil || len(docs) != 2 || docs[1].ID != "y" {
		t.Errorf("extra fields and blank lines: %v, %v", docs, err)
	}
	if _, err := LoadCorpus("testdata/noid.jsonl"); err == nil || !strings.Contains(err.Error(), "noid.jsonl:1: missing \"id\"") {
		t.Errorf("missing id: %v", err)
	}
	if _, err := LoadCorpus("testdata/missing.jsonl"); err == nil {
		t.Error("missing file: no error")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts map[string]any
		err  string
	}{
		{"calc", nil, ""},
		{"calc", map[string]any{"max_digits": 50}, ""},
		{"calc", map[string]any{"digits": 50}, `unknown option "digits"`},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "k": 2.0}, ""},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "k": 1.5}, `option "k"`},
		{"search", map[string]any{}, `option "corpus"`},
		{"search", map[string]any{"corpus": "testdata/bad.jsonl"}, "bad.jsonl:2"},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "k1": 0.9, "b": 0.4}, ""},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "b": 1.5}, `option "b"`},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "k1": "x"}, `option "k1"`},
		{"search", map[string]any{"corpus": "testdata/corpus.jsonl", "top": 3}, `unknown option "top"`},
		{"run", map[string]any{"steps": 1000, "time_ms": 50}, ""},
		{"run", map[string]any{"time_ms": 0}, `option "time_ms"`},
		{"run", map[string]any{"steps": -1}, `option "steps"`},
		{"shell", nil, "known: calc, run, search"},
	}
	for _, tc := range tests {
		tl, err := New(tc.name, tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q, %v): err %v, want containing %q", tc.name, tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || tl.Name() != tc.name {
			t.Errorf("New(%q, %v) = %v, %v", tc.name, tc.opts, tl, err)
		}
	}
}

func ExampleSearch() {
	s, err := New("search", map[string]any{"corpus": "testdata/corpus.jsonl", "k": 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := s.Call(context.Background(), "where did the cat sit?")
	fmt.Print(Format(out, err))
	// Output:
	// <result>[d1] the cat sat
	// [d3] cat and dog play</result>
}
