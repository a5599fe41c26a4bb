//go:build ignore

// methods_4_duel tabulates the duel cells of scripts/methods_4.sh: for each
// recipe, over seeds (mean and 95% t-interval), the final policy's
// win_rate_ref and worst_win_rate (and the base model's), the same two figures for the average
// iterate (the uniform mixture of the policies evaluated during RL, the
// object SPO's and INPO's no-regret guarantees are about: its win rates
// are the means of the iterates' win rates, against the reference and
// against each pure strategy), and the final move shares.
//
//	go run scripts/methods_4_duel.go runs/m4-duel spo_reference spo inpo
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/autodidact-rl/autodidact/compare"
)

var moves = []string{"rock", "paper", "scissors", "well"}

// evals reads a run's evaluation records (base first, final last).
func evals(dir string) ([]map[string]any, error) {
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["stage"] != "eval" {
			continue
		}
		if e, ok := m["eval"].(map[string]any); ok {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

func num(e map[string]any, k string) float64 {
	v, _ := e[k].(float64)
	return v
}

func show(s compare.Stat) string {
	if s.CI95 == nil {
		return fmt.Sprintf("%.3f", s.Mean)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.CI95[0], s.CI95[1])
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/methods_4_duel.go COMPARE_DIR RECIPE...")
		os.Exit(2)
	}
	dir := os.Args[1]
	fmt.Println("| recipe | seeds | win_rate_ref base | worst_win_rate base | win_rate_ref final | worst_win_rate final | win_rate_ref avg iterate | worst_win_rate avg iterate | final shares rock/paper/scissors/well |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, name := range os.Args[2:] {
		var bwin, bworst, win, worst, awin, aworst []float64
		shares := make([][]float64, len(moves))
		seeds, _ := filepath.Glob(filepath.Join(dir, name+"-seed*"))
		for _, s := range seeds {
			if st, err := os.Stat(s); err != nil || !st.IsDir() {
				continue
			}
			es, err := evals(s)
			if err != nil || len(es) < 2 || es[len(es)-1]["tag"] != "final" {
				continue
			}
			fin := es[len(es)-1]
			bwin, bworst = append(bwin, num(es[0], "win_rate_ref")), append(bworst, num(es[0], "worst_win_rate"))
			win, worst = append(win, num(fin, "win_rate_ref")), append(worst, num(fin, "worst_win_rate"))
			for k, m := range moves {
				shares[k] = append(shares[k], num(fin, "share_"+m))
			}
			iters := es[1:] // the RL iterates evaluated (base excluded)
			var w float64
			vs := make([]float64, len(moves))
			for _, e := range iters {
				w += num(e, "win_rate_ref") / float64(len(iters))
				for k, m := range moves {
					vs[k] += num(e, "vs_"+m) / float64(len(iters))
				}
			}
			wc := math.Inf(1)
			for _, v := range vs {
				wc = math.Min(wc, v)
			}
			awin, aworst = append(awin, w), append(aworst, wc)
		}
		var sh []string
		for k := range moves {
			sh = append(sh, fmt.Sprintf("%.2f", compare.TInterval(shares[k]).Mean))
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", name, len(win), show(compare.TInterval(bwin)), show(compare.TInterval(bworst)), show(compare.TInterval(win)), show(compare.TInterval(worst)),
			show(compare.TInterval(awin)), show(compare.TInterval(aworst)), strings.Join(sh, " / "))
	}
}
