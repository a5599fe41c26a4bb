//go:build ignore

// methods_2_plots draws the pass@k pictures of docs/results/methods-2.md
// and methods-3.md from the compare directory of scripts/methods_2_chain.sh:
//
//	go run scripts/methods_2_plots.go runs/methods-2 docs/results/methods-2
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/compare"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/methods_2_plots.go COMPARE_DIR OUT_DIR")
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
		{"passk-salt", "pass@k on chain: SALT vs GRPO", []string{"grpo", "salt"}},
		{"passk-length", "pass@k on chain: length methods vs GRPO", []string{"grpo", "overthinking", "efficiency_rl"}},
	} {
		if _, err := res.PassAtKPlot(filepath.Join(os.Args[2], p.file), p.title, p.recipes); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
