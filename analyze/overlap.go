package analyze

import (
	"errors"
	"fmt"
	"math/bits"
)

// OverlapStat is the overlap of two updated subnetworks I_1 and I_2 (the
// masks of two SparsityReports) over n entries (card D8's formula):
//
//	Overlap = o(I_1, I_2) = |I_1 ∩ I_2| / |I_1|   (0 when I_1 is empty)
//	Reverse = o(I_2, I_1) = |I_1 ∩ I_2| / |I_2|
//	Chance  = |I_2| / n   (the expected o(I_1, I_2) were I_2 a random subset of its size)
//	Jaccard = |I_1 ∩ I_2| / |I_1 ∪ I_2|
type OverlapStat struct {
	Name         string  `json:"name,omitempty"` // tensor; empty for the total
	N            int     `json:"n"`
	I1           int     `json:"i1"`
	I2           int     `json:"i2"`
	Intersection int     `json:"intersection"`
	Overlap      float64 `json:"overlap"`
	Reverse      float64 `json:"reverse"`
	Chance       float64 `json:"chance"`
	Jaccard      float64 `json:"jaccard"`
}

// OverlapReport is the overlap in total and per tensor.
type OverlapReport struct {
	RunA      string        `json:"a"` // a's final model
	RunB      string        `json:"b"`
	Criterion string        `json:"criterion"`
	Total     OverlapStat   `json:"total"`
	Tensors   []OverlapStat `json:"tensors"`
}

// Overlap compares the updated subnetworks of two reports made by
// Sparsity or Compare in this process (the masks are not in the JSON). The
// two must cover the same tensors with the same shapes and use the same
// criterion.
func Overlap(a, b *SparsityReport) (*OverlapReport, error) {
	if a == nil || b == nil {
		return nil, errors.New("analyze overlap: nil report")
	}
	if a.Criterion != b.Criterion {
		return nil, fmt.Errorf("analyze overlap: criteria differ (%s: %s, %s: %s)", a.Final, a.Criterion, b.Final, b.Criterion)
	}
	if len(a.Tensors) != len(b.Tensors) {
		return nil, fmt.Errorf("analyze overlap: %s has %d tensors, %s has %d", a.Final, len(a.Tensors), b.Final, len(b.Tensors))
	}
	r := &OverlapReport{RunA: a.Final, RunB: b.Final, Criterion: a.Criterion}
	var tot OverlapStat
	for i := range a.Tensors {
		ta, tb := &a.Tensors[i], &b.Tensors[i]
		if ta.Name != tb.Name || !sameShape(ta.Shape, tb.Shape) {
			return nil, fmt.Errorf("analyze overlap: tensor %d is %s %v in %s and %s %v in %s", i, ta.Name, ta.Shape, a.Final, tb.Name, tb.Shape, b.Final)
		}
		if len(ta.mask) != (ta.N+63)/64 || len(tb.mask) != (tb.N+63)/64 {
			return nil, fmt.Errorf("analyze overlap: report for %s has no masks (read back from JSON?); compute it with Sparsity", a.Final)
		}
		s := OverlapStat{Name: ta.Name, N: ta.N, I1: ta.Changed, I2: tb.Changed}
		for k := range ta.mask {
			s.Intersection += bits.OnesCount64(ta.mask[k] & tb.mask[k])
		}
		s.finish()
		r.Tensors = append(r.Tensors, s)
		tot.N += s.N
		tot.I1 += s.I1
		tot.I2 += s.I2
		tot.Intersection += s.Intersection
	}
	tot.finish()
	r.Total = tot
	return r, nil
}

func (s *OverlapStat) finish() {
	s.Overlap = frac(s.Intersection, s.I1)
	s.Reverse = frac(s.Intersection, s.I2)
	s.Chance = frac(s.I2, s.N)
	s.Jaccard = frac(s.Intersection, s.I1+s.I2-s.Intersection)
}
