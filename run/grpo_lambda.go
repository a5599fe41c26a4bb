package run

// GRPO-λ plug-in (card 16; algebra in rl/grpo_lambda.go): the
// length-penalised reward for the top_frac most-solved groups of each
// batch, plain correctness for the rest.

import (
	"fmt"

	"github.com/autodidact-rl/autodidact/rl"
)

// GRPOLambdaConfig is the recipe section `grpo_lambda:`.
type GRPOLambdaConfig struct {
	TopFrac float64 `yaml:"top_frac"`
}

func init() {
	registerMethod("grpo_lambda", "GRPO-λ: length-penalised rewards for the most-solved groups",
		GRPOLambdaConfig{TopFrac: 0.5},
		func(c *GRPOLambdaConfig, r *Recipe) (method, error) {
			if c.TopFrac < 0 || c.TopFrac > 1 {
				return nil, fmt.Errorf("top_frac %v must be in [0, 1]", c.TopFrac)
			}
			return &grpoLambda{*c}, nil
		})
}

type grpoLambda struct{ c GRPOLambdaConfig }

func (*grpoLambda) name() string { return "grpo_lambda" }

func (g *grpoLambda) beforeAdvantages(ru *runner, xs []sample, m map[string]any) error {
	if g.c.TopFrac <= 0 || len(xs) == 0 {
		return nil
	}
	correct := make([]bool, len(xs))
	lengths := make([]int, len(xs))
	for i, x := range xs {
		correct[i], lengths[i] = x.correct, len(x.gen)
	}
	rewards, _ := rl.GRPOLambdaRewards(correct, lengths, rl.Groups(len(xs), ru.r.RL.GroupSize), g.c.TopFrac)
	for i := range xs {
		xs[i].reward = rewards[i]
	}
	return nil
}
