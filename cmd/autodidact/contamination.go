package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/autodidact-rl/autodidact/analyze"
	"github.com/autodidact-rl/autodidact/compare"
	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/task"
)

// contaminationOpts are `analyze contamination`'s flags.
type contaminationOpts struct {
	members, nonmembers int
	template            string
	minK                float64
	maxNew              int
	checkpoint          string
	asJSON              bool
}

// newContaminationCmd is `autodidact analyze contamination RUN...`.
func newContaminationCmd() *cobra.Command {
	var o contaminationOpts
	c := &cobra.Command{
		Use:   "contamination RUN... [flags]",
		Short: "Self-Critique membership probe: ROC-AUC of problems RL trained on vs unseen ones (and PPL, Min-K%, entropy)",
		Long: `For each run directory: the problems its RL stage trained on (an rl_mia
recipe's pool; else the loop's own per-step draws, regenerated from
config.yaml) are the members, train-split problems it never drew the
non-members. The latest checkpoint (or --checkpoint) answers each greedily
(y1), then again after a self-critique prompt showing y1 (y2); the
Self-Critique score is the length-penalised cosine of the two answers'
token-entropy profiles (card D10, analyze/contamination.go). Reported:
ROC-AUC per detector (self_critique; ppl, min_k and entropy on y1), y2 == y1
rates and accuracy per side; with several runs, each AUC's mean and 95%
t-interval over them. Character-tokenizer runs only.`,
		Args: rangeArgs(1, 1<<20, "takes one or more run directories"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContamination(cmd.OutOrStdout(), args, o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.members, "members", 64, "members probed at most (the first of the run's training problems)")
	f.IntVar(&o.nonmembers, "nonmembers", 64, "non-members probed")
	f.StringVar(&o.template, "template", analyze.DefaultCritiqueTemplate, "self-critique prompt; {prompt} the problem, {y1} the first answer")
	f.Float64Var(&o.minK, "min-k", analyze.DefaultMinKRatio, "Min-K%'s fraction of lowest-probability tokens")
	f.IntVar(&o.maxNew, "max-new", 0, "answer length cap in tokens (0: the run's rl.max_new_tokens)")
	f.StringVar(&o.checkpoint, "checkpoint", "", "model directory to probe instead of the run's latest checkpoint (one run only)")
	f.BoolVar(&o.asJSON, "json", false, "write JSON")
	return c
}

// contaminationRow is one run's result.
type contaminationRow struct {
	Run    string                       `json:"run"`
	Model  string                       `json:"model"`
	Report *analyze.ContaminationReport `json:"report"`
}

func runContamination(w io.Writer, dirs []string, o contaminationOpts) error {
	if o.checkpoint != "" && len(dirs) > 1 {
		return fmt.Errorf("--checkpoint takes one run directory")
	}
	if o.members < 1 || o.nonmembers < 1 {
		return fmt.Errorf("--members and --nonmembers must be >= 1")
	}
	var rows []contaminationRow
	for _, dir := range dirs {
		rep, model, err := probeRun(dir, o)
		if err != nil {
			return fmt.Errorf("contamination %s: %w", dir, err)
		}
		rows = append(rows, contaminationRow{Run: dir, Model: model, Report: rep})
	}
	stats := map[string]compare.Stat{}
	for _, k := range analyze.Detectors {
		var xs []float64
		for _, r := range rows {
			xs = append(xs, r.Report.AUC[k])
		}
		stats[k] = compare.TInterval(xs)
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"runs": rows, "auc": stats})
	}
	fmt.Fprintf(w, "%-40s %8s %8s %8s %8s %10s %10s %8s %8s\n", "run", "self_crit", "ppl", "min_k", "entropy", "same M", "same N", "acc M", "acc N")
	for _, r := range rows {
		a := r.Report.AUC
		fmt.Fprintf(w, "%-40s %8.3f %8.3f %8.3f %8.3f %10.3f %10.3f %8.3f %8.3f\n", r.Run, a["self_critique"], a["ppl"], a["min_k"], a["entropy"],
			r.Report.SameMember, r.Report.SameNonMember, r.Report.AccMember, r.Report.AccNonMember)
	}
	if len(rows) > 1 {
		var parts []string
		for _, k := range analyze.Detectors {
			s := stats[k]
			iv := ""
			if s.CI95 != nil && !math.IsNaN(s.CI95[0]) {
				iv = fmt.Sprintf(" [%.3f, %.3f]", s.CI95[0], s.CI95[1])
			}
			parts = append(parts, fmt.Sprintf("%s %.3f%s", k, s.Mean, iv))
		}
		fmt.Fprintf(w, "AUC over %d runs (mean, 95%% t-interval): %s\n", len(rows), strings.Join(parts, "; "))
	}
	return nil
}

// probeRun probes one run directory.
func probeRun(dir string, o contaminationOpts) (*analyze.ContaminationReport, string, error) {
	cr, err := loadCharRun(dir, o.checkpoint)
	if err != nil {
		return nil, "", err
	}
	r, tok, bos, eos, m, mdir := cr.recipe, cr.tok, cr.bos, cr.eos, cr.model, cr.modelDir
	mem, non, err := run.MembershipSplit(r, o.nonmembers, o.members)
	if err != nil {
		return nil, "", err
	}
	t, err := task.New(r.Task.Name, r.Task.Params)
	if err != nil {
		return nil, "", err
	}
	prompts := func(ps []task.Problem) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.Prompt
		}
		return out
	}
	maxNew := o.maxNew
	if maxNew == 0 {
		maxNew = r.RL.MaxNewTokens
	}
	rep, err := analyze.Contamination(m, tok, prompts(mem), prompts(non), analyze.ContaminationOptions{
		Template: o.template, MinKRatio: o.minK, MaxNew: maxNew, BOS: bos, EOS: eos,
		Grade: func(member bool, i int, completion string) bool {
			if member {
				return t.Grade(mem[i], completion).Correct
			}
			return t.Grade(non[i], completion).Correct
		}})
	return rep, mdir, err
}
