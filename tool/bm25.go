package tool

import (
	"math"
	"strings"
	"unicode"
)

// BM25 is an Okapi BM25 index (Robertson & Zaragoza, 2009, "The
// Probabilistic Relevance Framework: BM25 and Beyond"). For a query Q of
// unique terms q and a document D of |D| tokens in a corpus of N documents
// of mean length avgdl,
//
//	score(D, Q) = sum_q IDF(q) * f(q,D) * (k1 + 1) / (f(q,D) + k1 * (1 - b + b*|D|/avgdl))
//	IDF(q)      = ln(1 + (N - n(q) + 0.5) / (n(q) + 0.5))
//
// where f(q,D) counts q in D and n(q) counts the documents containing q
// (this IDF, as in Lucene, is never negative). Defaults: k1 = 1.2, b = 0.75.
type BM25 struct {
	K1, B  float64
	tf     []map[string]int
	length []int
	df     map[string]int
	avgdl  float64
}

// Tokenize lowercases s and splits it on every rune that is not a letter or
// digit.
func Tokenize(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// NewBM25 indexes the documents' texts.
func NewBM25(texts []string, k1, b float64) *BM25 {
	x := &BM25{K1: k1, B: b, df: map[string]int{}}
	total := 0
	for _, text := range texts {
		toks := Tokenize(text)
		tf := map[string]int{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			x.df[t]++
		}
		x.tf = append(x.tf, tf)
		x.length = append(x.length, len(toks))
		total += len(toks)
	}
	if len(texts) > 0 {
		x.avgdl = float64(total) / float64(len(texts))
	}
	return x
}

// Len returns the number of indexed documents.
func (x *BM25) Len() int { return len(x.tf) }

// Score returns the BM25 score of document i for query.
func (x *BM25) Score(query string, i int) float64 {
	seen := map[string]bool{}
	n := float64(len(x.tf))
	score := 0.0
	for _, q := range Tokenize(query) {
		if seen[q] {
			continue
		}
		seen[q] = true
		f := float64(x.tf[i][q])
		if f == 0 {
			continue
		}
		nq := float64(x.df[q])
		idf := math.Log(1 + (n-nq+0.5)/(nq+0.5))
		score += idf * f * (x.K1 + 1) / (f + x.K1*(1-x.B+x.B*float64(x.length[i])/x.avgdl))
	}
	return score
}
