//go:build ignore

// passk_plots draws focused pass@k pictures from a finished compare
// directory: one picture per NAME=RECIPE,RECIPE,... argument, each with the
// baseline's base model and the named recipes' final curves and 95% bands.
//
//	go run scripts/passk_plots.go runs/methods-1b docs/results/methods-1b \
//	  passk-nsr=grpo,nsr,psr,w_reinforce passk-entropy=grpo,siren,lp_reg,self \
//	  passk-length=grpo,drpo,grpo_lambda,lite_ppo,sar,laser
//	go run scripts/passk_plots.go runs/methods-2 docs/results/methods-2 \
//	  passk-salt=grpo,salt passk-length=grpo,overthinking,efficiency_rl
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/autodidact-rl/autodidact/compare"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/passk_plots.go COMPARE_DIR OUT_DIR NAME=RECIPE,RECIPE... ...")
		os.Exit(2)
	}
	res, err := compare.ReadResult(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, arg := range os.Args[3:] {
		name, list, ok := strings.Cut(arg, "=")
		if !ok || name == "" || list == "" {
			fmt.Fprintf(os.Stderr, "passk_plots: %q: want NAME=RECIPE,RECIPE...\n", arg)
			os.Exit(2)
		}
		recipes := strings.Split(list, ",")
		title := "pass@k: " + strings.Join(recipes, ", ")
		if _, err := res.PassAtKPlot(filepath.Join(os.Args[2], name), title, recipes); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
