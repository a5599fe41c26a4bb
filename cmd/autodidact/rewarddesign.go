package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/plot"
)

// designOpts are `control design`'s flags.
type designOpts struct {
	n, actions, horizon, episodes, seeds, budget, lookahead int
	etaPhi, phiClip, delta                                  float64
	baseline                                                bool
	modes, plotBase                                         string
}

// newControlDesignCmd is `autodidact control design`.
func newControlDesignCmd() *cobra.Command {
	var o designOpts
	c := &cobra.Command{
		Use:   "design",
		Short: "reward design on a sparse combination-lock chain: sparse reward, count bonus, ExploRS, EXPRD (card B17)",
		Long: `Train a tabular softmax REINFORCE learner on a combination-lock chain
(N states, one opening action per state, every other action resets to the
start; reward 1 at the end) under each reward of --modes, for --seeds seeds
(the lock's key and the learner's draws), and report the mean success rate
over the training episodes (learning speed), the first successful episode,
and paired differences against the sparse reward, with 95% t-intervals
(control/explors.go).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDesign(cmd.OutOrStdout(), o) },
	}
	f := c.Flags()
	f.IntVar(&o.n, "n", 10, "lock length N")
	f.IntVar(&o.actions, "actions", 3, "actions per state")
	f.IntVar(&o.horizon, "horizon", 80, "steps per episode")
	f.IntVar(&o.episodes, "episodes", 1000, "training episodes per run")
	f.IntVar(&o.seeds, "seeds", 20, "seeds 1..N")
	f.StringVar(&o.modes, "modes", "none,bonus,explors,exprd", "rewards to compare (none first: the baseline)")
	f.Float64Var(&o.etaPhi, "eta-phi", 0.01, "ExploRS's step size of phi")
	f.Float64Var(&o.phiClip, "phi-clip", 0, "clip phi to +-eps (0: off)")
	f.Float64Var(&o.delta, "delta", 0.001, "EXPRD's invariance margin")
	f.IntVar(&o.budget, "budget", 3, "EXPRD's states with non-zero designed reward")
	f.IntVar(&o.lookahead, "lookahead", 1, "EXPRD's informativeness horizon h")
	f.BoolVar(&o.baseline, "baseline", true, "the learner subtracts a per-state running mean of its return")
	f.StringVar(&o.plotBase, "plot", "", "also draw the success rate per 50 episodes (mean over seeds) into PLOT.svg and PLOT.png")
	return c
}

func runDesign(w io.Writer, o designOpts) error {
	if o.seeds < 2 || o.episodes < 1 {
		return fmt.Errorf("--seeds must be >= 2 and --episodes >= 1")
	}
	modes := strings.Split(o.modes, ",")
	auc := map[string][]float64{}
	first := map[string][]float64{}
	late := map[string][]float64{}
	const window = 50
	curve := map[string][]float64{} // summed over seeds, per window
	for seed := 1; seed <= o.seeds; seed++ {
		env, err := control.NewLockChain(o.n, o.actions, o.horizon, uint64(seed))
		if err != nil {
			return err
		}
		for _, m := range modes {
			cfg := control.DefaultExploRS(m)
			cfg.Episodes, cfg.EtaPhi, cfg.PhiClip, cfg.Delta, cfg.Budget, cfg.Lookahead, cfg.Baseline =
				o.episodes, o.etaPhi, o.phiClip, o.delta, o.budget, o.lookahead, o.baseline
			res, err := control.TrainTabular(env, cfg, uint64(seed))
			if err != nil {
				return fmt.Errorf("seed %d, %s: %w", seed, m, err)
			}
			f := res.FirstSuccess
			if f == 0 {
				f = o.episodes + 1
			}
			auc[m] = append(auc[m], res.SuccessRate(0, o.episodes))
			late[m] = append(late[m], res.SuccessRate(o.episodes*9/10, o.episodes))
			first[m] = append(first[m], float64(f))
			if curve[m] == nil {
				curve[m] = make([]float64, (o.episodes+window-1)/window)
			}
			for k := range curve[m] {
				curve[m][k] += res.SuccessRate(k*window, (k+1)*window) / float64(o.seeds)
			}
		}
	}
	iv := func(s compare.Stat) string {
		if s.CI95 == nil || math.IsNaN(s.CI95[0]) {
			return fmt.Sprintf("%.3f", s.Mean)
		}
		return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.CI95[0], s.CI95[1])
	}
	fmt.Fprintf(w, "lock N %d, %d actions, horizon %d, %d episodes, seeds 1..%d (first success %d: never)\n\n", o.n, o.actions, o.horizon, o.episodes, o.seeds, o.episodes+1)
	fmt.Fprintf(w, "| reward | success rate over training | Δ vs %s (paired) | success rate, last 10%% | first success episode |\n| --- | --- | --- | --- | --- |\n", modes[0])
	for _, m := range modes {
		d := make([]float64, len(auc[m]))
		for i := range d {
			d[i] = auc[m][i] - auc[modes[0]][i]
		}
		delta := "—"
		if m != modes[0] {
			delta = iv(compare.TInterval(d))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", m, iv(compare.TInterval(auc[m])), delta, iv(compare.TInterval(late[m])), iv(compare.TInterval(first[m])))
	}
	if o.plotBase == "" {
		return nil
	}
	var series []plot.Series
	for _, m := range modes {
		x := make([]float64, len(curve[m]))
		for k := range x {
			x[k] = float64((k + 1) * window)
		}
		series = append(series, plot.Series{Name: m, X: x, Y: curve[m]})
	}
	return plot.Lines(o.plotBase, fmt.Sprintf("success rate on a %d-lock chain (mean of %d seeds)", o.n, o.seeds), "episode", "success rate", series, false)
}
