package optim

import (
	"fmt"
	"math"
)

// Schedule is a learning-rate schedule: linear warmup from 0 over Warmup
// steps, then constant, cosine decay to MinRatio*base at Total steps, or
// linear decay to MinRatio*base.
type Schedule struct {
	Kind     string  `json:"kind" yaml:"kind"` // constant | cosine | linear
	Warmup   int     `json:"warmup" yaml:"warmup"`
	Total    int     `json:"total" yaml:"total"`
	MinRatio float64 `json:"min_ratio" yaml:"min_ratio"`
}

// Validate reports an unknown kind or inconsistent lengths.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", "constant", "cosine", "linear":
	default:
		return fmt.Errorf("schedule kind %q: want constant, cosine or linear", s.Kind)
	}
	if s.Warmup < 0 || s.Total < 0 {
		return fmt.Errorf("schedule: warmup %d and total %d must be >= 0", s.Warmup, s.Total)
	}
	if (s.Kind == "cosine" || s.Kind == "linear") && s.Total <= s.Warmup {
		return fmt.Errorf("schedule %s: total %d must exceed warmup %d", s.Kind, s.Total, s.Warmup)
	}
	return nil
}

// LR is the learning rate at step (0-based) for base rate base.
func (s Schedule) LR(step int, base float64) float64 {
	if step < s.Warmup {
		return base * float64(step+1) / float64(s.Warmup)
	}
	if s.Kind == "" || s.Kind == "constant" {
		return base
	}
	frac := math.Min(1, float64(step-s.Warmup)/float64(s.Total-s.Warmup))
	lo := base * s.MinRatio
	if s.Kind == "linear" {
		return base - (base-lo)*frac
	}
	return lo + (base-lo)*0.5*(1+math.Cos(math.Pi*frac))
}
