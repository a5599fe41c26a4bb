package tool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"unicode"
)

// Doc is one document of a search corpus.
type Doc struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	Text  string `json:"text"`
}

// Search is the "search" tool: Okapi BM25 retrieval over an in-memory
// corpus (Robertson & Zaragoza, 2009). For a query Q of unique terms q and a
// document D of |D| tokens in a corpus of N documents of mean length avgdl,
//
//	score(D, Q) = sum_q IDF(q) * f(q,D) * (k1 + 1) / (f(q,D) + k1 * (1 - b + b*|D|/avgdl))
//	IDF(q)      = ln(1 + (N - n(q) + 0.5) / (n(q) + 0.5))
//
// where f(q,D) counts q in D and n(q) counts documents containing q. Title
// tokens count as document tokens. Documents scoring 0 are not returned;
// ties keep corpus order. The output is one line per result, "[id] text" or
// "[id] title: text".
type Search struct {
	K, K1, B float64
	docs     []Doc
	tf       []map[string]int
	length   []int
	df       map[string]int
	avgdl    float64
}

// Tokenize lowercases s and splits it on every rune that is not a letter or
// digit.
func Tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// NewSearch indexes docs with k results and BM25 parameters k1, b.
func NewSearch(docs []Doc, k int, k1, b float64) *Search {
	s := &Search{K: float64(k), K1: k1, B: b, docs: docs, df: map[string]int{}}
	total := 0
	for _, d := range docs {
		toks := Tokenize(d.Title + " " + d.Text)
		tf := map[string]int{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			s.df[t]++
		}
		s.tf = append(s.tf, tf)
		s.length = append(s.length, len(toks))
		total += len(toks)
	}
	if len(docs) > 0 {
		s.avgdl = float64(total) / float64(len(docs))
	}
	return s
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
		var d Doc
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
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
func (s *Search) Score(query string, i int) float64 {
	seen := map[string]bool{}
	n := float64(len(s.docs))
	score := 0.0
	for _, q := range Tokenize(query) {
		if seen[q] {
			continue
		}
		seen[q] = true
		f := float64(s.tf[i][q])
		if f == 0 {
			continue
		}
		nq := float64(s.df[q])
		idf := math.Log(1 + (n-nq+0.5)/(nq+0.5))
		score += idf * f * (s.K1 + 1) / (f + s.K1*(1-s.B+s.B*float64(s.length[i])/s.avgdl))
	}
	return score
}

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
		if float64(r) >= s.K {
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
