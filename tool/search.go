package tool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Doc is one document of a search corpus.
type Doc struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	Text  string `json:"text"`
}

// Search is the "search" tool: BM25 retrieval (see BM25) over an in-memory
// corpus loaded once. Title tokens count as document tokens. Documents
// scoring 0 are not returned; ties keep corpus order. The output is one line
// per result, "[id] text" or "[id] title: text", or "no results".
type Search struct {
	K     int // results returned
	docs  []Doc
	index *BM25
}

// NewSearch indexes docs with k results and BM25 parameters k1, b.
func NewSearch(docs []Doc, k int, k1, b float64) *Search {
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.Title + " " + d.Text
	}
	return &Search{K: k, docs: docs, index: NewBM25(texts, k1, b)}
}

// LoadCorpus reads a JSONL file of {"id","text"[,"title"]} lines; blank
// lines are skipped, a bad line is an error naming file:line.
func LoadCorpus(path string) ([]Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("search corpus: %w", err)
	}
	defer f.Close()
	var docs []Doc
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var d Doc // other fields (url, ...) are ignored
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if d.ID == "" {
			return nil, fmt.Errorf("%s:%d: missing \"id\"", path, line)
		}
		if d.Text == "" {
			return nil, fmt.Errorf("%s:%d: missing \"text\"", path, line)
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return docs, nil
}

func newSearchFromOptions(opts map[string]any) (Tool, error) {
	if err := checkKeys(opts, "corpus", "k", "k1", "b"); err != nil {
		return nil, err
	}
	path, ok := opts["corpus"].(string)
	if !ok || path == "" {
		return nil, errors.New(`option "corpus": missing path to a JSONL file`)
	}
	k, err := intOption(opts, "k", 3)
	if err != nil {
		return nil, err
	}
	k1, err := floatOption(opts, "k1", 1.2)
	if err != nil {
		return nil, err
	}
	b, err := floatOption(opts, "b", 0.75)
	if err != nil {
		return nil, err
	}
	if b > 1 {
		return nil, fmt.Errorf(`option "b": %v must be in [0, 1]`, b)
	}
	docs, err := LoadCorpus(path)
	if err != nil {
		return nil, err
	}
	return NewSearch(docs, k, k1, b), nil
}

// Name returns "search".
func (*Search) Name() string { return "search" }

// Score returns the BM25 score of document i for query.
func (s *Search) Score(query string, i int) float64 { return s.index.Score(query, i) }

// Call returns the top-K documents for the query in input.
func (s *Search) Call(ctx context.Context, input string) (string, error) {
	if len(Tokenize(input)) == 0 {
		return "", errors.New("search: empty query")
	}
	type hit struct {
		i     int
		score float64
	}
	var hits []hit
	for i := range s.docs {
		if sc := s.Score(input, i); sc > 0 {
			hits = append(hits, hit{i, sc})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	if len(hits) == 0 {
		return "no results", nil
	}
	var out strings.Builder
	for r, h := range hits {
		if r >= s.K {
			break
		}
		d := s.docs[h.i]
		if d.Title != "" {
			fmt.Fprintf(&out, "[%s] %s: %s\n", d.ID, d.Title, d.Text)
		} else {
			fmt.Fprintf(&out, "[%s] %s\n", d.ID, d.Text)
		}
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}
