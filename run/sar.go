package run

// SAR plug-in (self-aligned reward, card A5; algebra in rl/sar.go): adds
// alpha * SAR to each reward, where SAR compares the policy's log-probs of
// the response given the query (recorded while sampling) with those of the
// response alone (scored after BOS), clipped to [-clip, clip].

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
)

// SARConfig is the recipe section `sar:`.
type SARConfig struct {
	Alpha float64 `yaml:"alpha"`
	Clip  float64 `yaml:"clip"`
}

func init() {
	registerMethod("sar", "SAR: self-aligned reward from the query-conditioned perplexity gap",
		SARConfig{Alpha: 0.2, Clip: 1},
		func(c *SARConfig, r *Recipe) (method, error) {
			if c.Clip <= 0 {
				return nil, fmt.Errorf("clip %v must be positive", c.Clip)
			}
			return &sar{*c}, nil
		})
}

type sar struct{ c SARConfig }

func (*sar) name() string { return "sar" }

// beforeAdvantages adds alpha * SAR to each sample's reward and records
// the mean SAR.
func (s *sar) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if len(xs) == 0 || s.c.Alpha == 0 {
		return nil
	}
	c := ru.r.RL
	T := 0
	for _, x := range xs {
		T = max(T, 1+len(x.gen))
	}
	b := &lm.Batch{Rows: len(xs), Len: T, Tokens: make([]int32, len(xs)*T), Mask: make([]float32, len(xs)*T), Temperature: c.Temperature}
	for i, x := range xs {
		b.Tokens[i*T] = ru.bos
		copy(b.Tokens[i*T+1:], x.gen)
		for t := range x.gen {
			b.Mask[i*T+1+t] = 1
		}
	}
	sc, err := ru.policy.Score(b)
	if err != nil {
		return err
	}
	var mean float64
	for i, x := range xs {
		given, alone := make([]float64, len(x.gen)), make([]float64, len(x.gen))
		for t := range x.gen {
			given[t], alone[t] = float64(x.oldLogp[t]), float64(sc.LogProbs[i*T+1+t])
		}
		v := rl.SAR(given, alone, s.c.Clip)
		xs[i].reward += s.c.Alpha * v
		mean += v / float64(len(xs))
	}
	m["sar"] = mean
	return nil
}
