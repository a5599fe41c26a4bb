//go:build ignore

// methods_1b_plots draws the focused pass@k pictures of
// docs/results/methods-1b.md from a finished compare directory:
//
//	go run scripts/methods_1b_plots.go runs/methods-1b docs/results/methods-1b
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/compare"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/methods_1b_plots.go COMPARE_DIR OUT_DIR")
		os.Exit(2)
	}
	res, err := compare.ReadResult(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, p := range []struct {
		file, title string
		recipes     []string
	}{
		{"passk-nsr", "pass@k: GRPO and the NSR paper's variants", []string{"grpo", "nsr", "psr", "w_reinforce"}},
		{"passk-entropy", "pass@k: entropy-keeping methods", []string{"grpo", "siren", "lp_reg", "self"}},
		{"passk-length", "pass@k: length and advantage methods", []string{"grpo", "drpo", "grpo_lambda", "lite_ppo", "sar", "laser"}},
	} {
		if _, err := res.PassAtKPlot(filepath.Join(os.Args[2], p.file), p.title, p.recipes); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
