package control

import (
	"math/rand/v2"
	"testing"
)

// The k-d tree finds the same nearest point (lowest index on ties) as
// brute force, on random points, on a grid full of ties and duplicates,
// and on tiny and empty sets.
func TestKDTreeMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name string
		n, k int
		grid bool
	}{{"random 2-d", 500, 2, false}, {"random 4-d", 2000, 4, false}, {"grid with duplicates", 300, 3, true},
		{"one point", 1, 2, false}, {"leaf only", 5, 3, false}, {"empty", 0, 2, false}} {
		pts := make([]float64, c.n*c.k)
		for i := range pts {
			if c.grid {
				pts[i] = float64(r.IntN(4))
			} else {
				pts[i] = r.NormFloat64()
			}
		}
		tree := newKDTree(pts, c.k)
		for q := 0; q < 300; q++ {
			x := make([]float64, c.k)
			for i := range x {
				if c.grid {
					x[i] = float64(r.IntN(5)) - 0.5*float64(r.IntN(2))
				} else {
					x[i] = 1.5 * r.NormFloat64()
				}
			}
			gi, gd := tree.nearest(x)
			wi, wd := nearestBrute(pts, c.k, x)
			if gi != wi || gd != wd {
				t.Fatalf("%s: query %v: tree (%d, %v), brute force (%d, %v)", c.name, x, gi, gd, wi, wd)
			}
		}
	}
}
