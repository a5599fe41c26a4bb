package run

// DAPO plug-in (card 0; algebra in rl/dapo.go): dynamic sampling drops
// groups whose rewards are all equal and resamples, up to max_gen_rounds
// generation rounds per step; overlong reward shaping penalises responses
// in the last overlong_buffer_len tokens of the budget; mask_truncated
// drops responses that hit the budget from the policy loss. (Clip-higher
// and token-mean aggregation are the loop's eps_high and loss_agg_mode.)

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/rl"
)

// DAPOConfig is the recipe section `dapo:`.
type DAPOConfig struct {
	DynamicSampling       bool    `yaml:"dynamic_sampling"`
	MaxGenRounds          int     `yaml:"max_gen_rounds"`
	OverlongBufferLen     int     `yaml:"overlong_buffer_len"`
	OverlongPenaltyFactor float64 `yaml:"overlong_penalty_factor"`
	MaskTruncated         bool    `yaml:"mask_truncated"`
}

func init() {
	registerMethod("dapo", "DAPO: dynamic sampling, overlong shaping and filtering (clip-higher via rl.eps_high)",
		DAPOConfig{MaxGenRounds: 3, OverlongPenaltyFactor: 1},
		func(c *DAPOConfig, r *Recipe) (method, error) {
			if c.MaxGenRounds < 1 || c.OverlongBufferLen < 0 || c.OverlongBufferLen > r.RL.MaxNewTokens {
				return nil, fmt.Errorf("max_gen_rounds >= 1 and 0 <= overlong_buffer_len <= rl.max_new_tokens")
			}
			return &dapo{*c}, nil
		})
}

type dapo struct{ c DAPOConfig }

func (*dapo) name() string { return "dapo" }

func (d *dapo) rounds() int {
	if !d.c.DynamicSampling {
		return 1
	}
	return d.c.MaxGenRounds
}

func (d *dapo) keepGroup(rewards []float64) bool {
	return !d.c.DynamicSampling || rl.Informative(rewards, seq(len(rewards)))
}

func (d *dapo) shapeReward(ru *runner, x *sample) {
	if d.c.OverlongBufferLen > 0 {
		x.reward += rl.OverlongPenalty(len(x.gen), ru.r.RL.MaxNewTokens, d.c.OverlongBufferLen, d.c.OverlongPenaltyFactor)
	}
}

func (d *dapo) masked(x *sample) bool { return d.c.MaskTruncated && !x.stopped }
