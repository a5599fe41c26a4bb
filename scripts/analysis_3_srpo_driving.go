//go:build ignore

// analysis_3_srpo_driving prints the table of scripts/analysis_3_srpo_driving.sh
// (sparse PPO vs PPO + SRPO on DrivingSparseShort-v0) and draws the
// training curves: per run directory OUT/{ppo,ppo_srpo}-seedN, the
// training success rate (episode_return of metrics.jsonl, the mean of the
// last 20 training episodes' 0/1 returns) per update, and the greedy
// success rate on 20 held-out routes (summary.json).
//
//	go run scripts/analysis_3_srpo_driving.go runs/srpo-driving 10 docs/results/analysis-3/srpo-driving
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/plot"
)

// curve is one run's training success rate per update.
type curve struct{ steps, success []float64 }

func readCurve(dir string) (curve, error) {
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return curve{}, err
	}
	defer f.Close()
	var c curve
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct {
			Steps  float64 `json:"env_steps"`
			Return float64 `json:"episode_return"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return curve{}, fmt.Errorf("%s/metrics.jsonl: %w", dir, err)
		}
		c.steps, c.success = append(c.steps, m.Steps), append(c.success, m.Return)
	}
	return c, sc.Err()
}

func greedy(dir string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return 0, err
	}
	var s struct {
		FinalReturn float64 `json:"final_return"`
	}
	return s.FinalReturn, json.Unmarshal(b, &s)
}

func fmtStat(s compare.Stat) string {
	if s.CI95 == nil {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.CI95[0], s.CI95[1])
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/analysis_3_srpo_driving.go OUT SEEDS PLOT")
		os.Exit(2)
	}
	out, plotBase := os.Args[1], os.Args[3]
	seeds, err := strconv.Atoi(os.Args[2])
	if err != nil || seeds < 2 {
		fmt.Fprintln(os.Stderr, "SEEDS: want a number, 2 or more")
		os.Exit(2)
	}
	if err := run(out, seeds, plotBase); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string, seeds int, plotBase string) error {
	algos := []string{"ppo", "ppo_srpo"}
	names := map[string]string{"ppo": "sparse PPO", "ppo_srpo": "sparse PPO + SRPO"}
	type figures struct{ over, last, greedy, to50, reached []float64 }
	fig := map[string]*figures{}
	curves := map[string][]curve{}
	for _, a := range algos {
		fig[a] = &figures{}
		for s := 1; s <= seeds; s++ {
			dir := filepath.Join(out, fmt.Sprintf("%s-seed%d", a, s))
			c, err := readCurve(dir)
			if err != nil {
				return err
			}
			g, err := greedy(dir)
			if err != nil {
				return err
			}
			n := len(c.success)
			f := fig[a]
			f.over = append(f.over, mean(c.success))
			f.last = append(f.last, mean(c.success[n-max(1, n/10):]))
			f.greedy = append(f.greedy, g)
			to, reached := c.steps[n-1], 0.0 // the budget when never reached
			for i, v := range c.success {
				if v >= 0.5 {
					to, reached = c.steps[i], 1
					break
				}
			}
			f.to50, f.reached = append(f.to50, to), append(f.reached, reached)
			curves[a] = append(curves[a], c)
		}
	}
	diff := func(get func(*figures) []float64) string {
		a, b := get(fig["ppo_srpo"]), get(fig["ppo"])
		d := make([]float64, len(a))
		for i := range a {
			d[i] = a[i] - b[i]
		}
		return fmtStat(compare.TInterval(d))
	}
	fmt.Printf("| arm | success rate over training | Δ vs sparse PPO (paired) | success rate, last 10%% | greedy success, 20 held-out routes | Δ greedy (paired) | env steps to 0.5 (budget if never) | runs reaching 0.5 |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, a := range algos {
		f := fig[a]
		d, dg := "—", "—"
		if a == "ppo_srpo" {
			d = diff(func(f *figures) []float64 { return f.over })
			dg = diff(func(f *figures) []float64 { return f.greedy })
		}
		to := compare.TInterval(f.to50)
		toS := fmt.Sprintf("%.0f [%.0f, %.0f]", to.Mean, to.CI95[0], to.CI95[1])
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %.0f of %d |\n", names[a], fmtStat(compare.TInterval(f.over)), d,
			fmtStat(compare.TInterval(f.last)), fmtStat(compare.TInterval(f.greedy)), dg, toS, mean(f.reached)*float64(seeds), seeds)
	}
	for _, a := range algos {
		fmt.Printf("%s per seed (over training / greedy):", names[a])
		for i := range fig[a].over {
			fmt.Printf(" %.2f/%.2f", fig[a].over[i], fig[a].greedy[i])
		}
		fmt.Println()
	}
	var series []plot.Series
	for _, a := range algos {
		cs := curves[a]
		s := plot.Series{Name: names[a]}
		for i := range cs[0].steps {
			col := make([]float64, len(cs))
			for j, c := range cs {
				col[j] = c.success[i]
			}
			st := compare.TInterval(col)
			s.X, s.Y = append(s.X, cs[0].steps[i]), append(s.Y, st.Mean)
			s.Lo, s.Hi = append(s.Lo, st.CI95[0]), append(s.Hi, st.CI95[1])
		}
		series = append(series, s)
	}
	return plot.Lines(plotBase, fmt.Sprintf("DrivingSparseShort-v0: training success rate (mean, 95%% t-interval, %d seeds)", seeds),
		"env steps", "success rate (last 20 episodes)", series, false)
}
