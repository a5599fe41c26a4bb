package run

// NFT plug-in (card D5; algebra in rl/nft.go): replaces the clipped token
// surrogate by negative-aware fine-tuning: likelihood on the correct
// answers and, through the implicit negative policy, on the wrong ones,
// each question weighted by its clipped rate of correct answers r. The
// rates are taken over the step's kept samples before the first update
// (updateHook); the loss per mini-batch is aggregated with the loop's
// loss_agg_mode weights. The card runs it with DAPO's dynamic sampling
// (a `dapo: {dynamic_sampling: true}` section): groups with all-correct or
// all-wrong answers then teach nothing; without it their rate is clipped
// to rate_lo or rate_hi. Metrics: nft_rate (mean clipped r over the step's samples),
// nft_floor_frac (share of wrong-answer ratios whose proxy was floored).

import (
	"math"

	"github.com/autodidact-rl/autodidact/rl"
)

func init() {
	registerMethod("nft", "NFT: negative-aware fine-tuning, likelihood on right answers and an implicit negative policy on wrong ones",
		rl.DefaultNFT(),
		func(c *rl.NFT, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			return &nft{c: *c}, nil
		})
}

type nft struct {
	c            rl.NFT
	rate         map[int]float64 // clipped rate of correct answers per problem index
	rateMean     float64
	floored, neg float64
}

func (*nft) name() string { return "nft" }

// beforeUpdate computes each problem's clipped rate of correct answers.
func (n *nft) beforeUpdate(ru *runner, xs []sample, a *advantage, mbSize int, m map[string]any) error {
	right, all := map[int]float64{}, map[int]float64{}
	for _, x := range xs {
		all[x.prob]++
		if x.correct {
			right[x.prob]++
		}
	}
	n.rate = map[int]float64{}
	for p, k := range all {
		n.rate[p] = n.c.Rate(right[p] / k)
	}
	n.rateMean = 0
	for _, x := range xs {
		n.rateMean += n.rate[x.prob] / float64(len(xs))
	}
	return nil
}

// miniBatchLoss adds NFT's d loss / d log-prob to mb.dlp.
func (n *nft) miniBatchLoss(ru *runner, mb *miniBatch) float64 {
	b, starts, logp, dlp := mb.b, mb.starts, mb.sc.LogProbs, mb.dlp
	var loss float64
	for i, x := range mb.xs {
		r := n.rate[x.prob]
		if n.c.RatioType == "sequence" {
			var delta float64
			for t := range x.gen {
				if at := starts[i] + x.pos[t]; b.Mask[at] != 0 {
					delta += float64(logp[at]) - float64(x.oldLogp[t])
				}
			}
			if mb.lengths[i] == 0 {
				continue
			}
			l, d := n.c.Loss(delta, r, x.correct)
			n.count(delta, r, x.correct)
			loss += mb.w[i] * l
			for t := range x.gen {
				if at := starts[i] + x.pos[t]; b.Mask[at] != 0 {
					dlp[at] += float32(mb.w[i] * d)
				}
			}
			continue
		}
		for t := range x.gen {
			at := starts[i] + x.pos[t]
			if b.Mask[at] == 0 {
				continue
			}
			delta := float64(logp[at]) - float64(x.oldLogp[t])
			l, d := n.c.Loss(delta, r, x.correct)
			n.count(delta, r, x.correct)
			loss += mb.w[i] * l
			dlp[at] += float32(mb.w[i] * d)
		}
	}
	return loss
}

// count tallies wrong-answer ratios and those whose proxy was floored.
func (n *nft) count(delta, r float64, correct bool) {
	if correct {
		return
	}
	n.neg++
	if (1-r*math.Exp(math.Min(delta, n.c.RatioLogMax)))/(1-r) < n.c.ClampNegative {
		n.floored++
	}
}

func (n *nft) reportUpdate(m map[string]any, updates int) {
	m["nft_rate"] = n.rateMean
	m["nft_floor_frac"] = n.floored / math.Max(n.neg, 1)
	n.floored, n.neg = 0, 0
}
