package run

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/checkpoint"
)

// Summary is summary.json: the before/after view of a run.
type Summary struct {
	Recipe          string             `json:"recipe"`
	Task            string             `json:"task"`
	Seed            uint64             `json:"seed"`
	K               int                `json:"k"`
	BasePass1       float64            `json:"base_pass@1"`
	FinalPass1      float64            `json:"final_pass@1"`
	BasePassK       float64            `json:"base_pass@k"`
	FinalPassK      float64            `json:"final_pass@k"`
	BaseMajK        float64            `json:"base_maj@k"`
	FinalMajK       float64            `json:"final_maj@k"`
	BaseLen         float64            `json:"base_mean_len"`
	FinalLen        float64            `json:"final_mean_len"`
	BaseCurve       []float64          `json:"base_pass_curve"`
	FinalCurve      []float64          `json:"final_pass_curve"`
	FinalEntropy    float64            `json:"final_entropy"`
	WallSeconds     float64            `json:"wall_seconds"`
	RLTime          timeSplit          `json:"rl_time"`
	RLTimeAccounted float64            `json:"rl_time_accounted"` // (sample+score+train)/total
	Extra           map[string]float64 `json:"extra,omitempty"`
}

// finish evaluates the final policy, writes summary.json and prints the
// before/after table.
func (ru *runner) finish() (*Summary, error) {
	final, err := ru.evaluate("final")
	if err != nil {
		return nil, err
	}
	ru.metrics.Write(map[string]any{"stage": "eval", "gstep": ru.prog.GStep, "eval": final})
	if err := ru.metrics.Sync(); err != nil {
		return nil, err
	}
	base := ru.prog.Base
	if base == nil {
		base = &final
	}
	k := ru.r.Eval.Samples
	if len(ru.r.Eval.KList) > 0 {
		k = ru.r.Eval.KList[len(ru.r.Eval.KList)-1]
	}
	ks := strconv.Itoa(k)
	s := &Summary{Recipe: ru.r.Name, Task: ru.r.Task.Name, Seed: ru.r.Seed, K: k,
		BasePass1: base.Curve[0], FinalPass1: final.Curve[0], BasePassK: base.Curve[k-1], FinalPassK: final.Curve[k-1],
		BaseMajK: base.MajAtK[ks], FinalMajK: final.MajAtK[ks], BaseLen: base.MeanLen, FinalLen: final.MeanLen,
		BaseCurve: base.Curve, FinalCurve: final.Curve,
		WallSeconds: ru.prog.Seconds + time.Since(ru.start).Seconds(), RLTime: ru.prog.RLTime}
	for k, v := range base.Extra {
		s.addExtra("base_"+k, v)
	}
	for k, v := range final.Extra {
		s.addExtra("final_"+k, v)
	}
	s.FinalEntropy = lastMetric(filepath.Join(ru.dir, MetricsFile), "rl", "entropy")
	if t := ru.prog.RLTime; t.Total > 0 {
		s.RLTimeAccounted = (t.Sample + t.Score + t.Train) / t.Total
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := checkpoint.WriteFileAtomic(filepath.Join(ru.dir, SummaryFile), append(b, '\n')); err != nil {
		return nil, err
	}
	PrintTable(ru.log, []*Summary{s}, []string{ru.dir})
	return s, nil
}

func (s *Summary) addExtra(k string, v float64) {
	if s.Extra == nil {
		s.Extra = map[string]float64{}
	}
	s.Extra[k] = v
}

// lastMetric returns the last value of a field in lines of a stage.
func lastMetric(path, stage, field string) float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var v float64
	for _, line := range strings.Split(string(data), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["stage"] != stage {
			continue
		}
		if f, ok := m[field].(float64); ok {
			v = f
		}
	}
	return v
}

// ReadSummary loads summary.json of a run directory.
func ReadSummary(dir string) (*Summary, error) {
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, err
	}
	s := &Summary{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, SummaryFile), err)
	}
	return s, nil
}

// PrintTable prints runs side by side: base and final pass@1, pass@k,
// maj@k, mean length, final entropy and wall time.
func PrintTable(w io.Writer, ss []*Summary, names []string) {
	fmt.Fprintf(w, "%-28s %8s %8s %8s %8s %8s %8s %8s %8s %8s %7s\n", "run", "p@1 base", "p@1 rl", "Δp@1", "p@k base", "p@k rl", "maj@k rl", "len base", "len rl", "entropy", "wall s")
	for i, s := range ss {
		name := names[i]
		if len(name) > 28 {
			name = "…" + name[len(name)-27:]
		}
		fmt.Fprintf(w, "%-28s %8.3f %8.3f %+8.3f %8.3f %8.3f %8.3f %8.1f %8.1f %8.3f %7.0f\n", name, s.BasePass1, s.FinalPass1,
			s.FinalPass1-s.BasePass1, s.BasePassK, s.FinalPassK, s.FinalMajK, s.BaseLen, s.FinalLen, s.FinalEntropy, s.WallSeconds)
	}
	if len(ss) > 0 {
		fmt.Fprintf(w, "(k = %d)\n", ss[0].K)
	}
}

// Report prints run directories side by side. Language-model runs get
// their recipe and task, the settings that differ between them (from
// config.yaml), the table of PrintTable and, per run, its pass@k curves,
// RL time split and accuracy curve; control runs get their algorithm,
// environment, steps and greedy return. Arguments that are unfinished or
// failed runs are listed with the reason and do not fail the report; an
// argument that is not a run directory, or nothing to report at all, is an
// error (after the rest has been printed).
func Report(w io.Writer, dirs []string) error {
	var lm, ctl, other []DirInfo
	notRuns := 0
	for _, d := range dirs {
		info := ClassifyDir(d)
		switch info.Kind {
		case KindLM:
			lm = append(lm, info)
		case KindControl:
			ctl = append(ctl, info)
		default:
			other = append(other, info)
			if info.Kind == KindNotRun {
				notRuns++
			}
		}
	}
	if len(lm) > 0 {
		reportLM(w, lm)
	}
	if len(ctl) > 0 {
		if len(lm) > 0 {
			fmt.Fprintln(w)
		}
		reportControl(w, ctl)
	}
	if len(other) > 0 {
		if len(lm)+len(ctl) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "not reported:")
		for _, o := range other {
			fmt.Fprintf(w, "  %s: %s (%s)\n", o.Dir, o.Kind, o.Reason)
		}
	}
	switch {
	case len(lm)+len(ctl) == 0 && len(other) == 1:
		return fmt.Errorf("report: %s: %s (%s)", other[0].Dir, other[0].Kind, other[0].Reason)
	case len(lm)+len(ctl) == 0:
		return fmt.Errorf("report: none of the %d directories is a finished run", len(dirs))
	case notRuns > 0:
		return fmt.Errorf("report: %d of %d arguments are not run directories", notRuns, len(dirs))
	}
	return nil
}

// reportLM prints finished language-model runs.
func reportLM(w io.Writer, runs []DirInfo) {
	ss := make([]*Summary, len(runs))
	names := make([]string, len(runs))
	configs := make([]map[string]string, len(runs))
	for i, r := range runs {
		ss[i], names[i] = r.LM, r.Dir
		configs[i] = flatConfig(filepath.Join(r.Dir, ConfigFile))
	}
	for i, s := range ss {
		task := s.Task
		if p := configParams(configs[i], "task.params."); p != "" {
			task += " " + p
		}
		fmt.Fprintf(w, "%s: recipe %s, task %s, seed %d\n", names[i], s.Recipe, task, s.Seed)
	}
	if len(runs) > 1 {
		diffs := differingKeys(configs)
		if len(diffs) == 0 {
			fmt.Fprintln(w, "settings: the same in every run (config.yaml)")
		} else {
			fmt.Fprintln(w, "settings that differ (config.yaml):")
			for _, k := range diffs {
				vals := make([]string, len(configs))
				for i, c := range configs {
					v, ok := c[k]
					if !ok {
						v = "(unset)"
					}
					vals[i] = v
				}
				fmt.Fprintf(w, "  %-28s %s\n", k, strings.Join(vals, " | "))
			}
		}
	}
	fmt.Fprintln(w)
	PrintTable(w, ss, names)
	for i, s := range ss {
		fmt.Fprintf(w, "\n%s: pass@k curve (k = 1..%d)\n  base  %s\n  final %s\n", names[i], len(s.BaseCurve), curve(s.BaseCurve), curve(s.FinalCurve))
		fmt.Fprintf(w, "  rl time: sample %.0fs, score %.0fs, train %.0fs of %.0fs (%.1f%% accounted)\n", s.RLTime.Sample, s.RLTime.Score, s.RLTime.Train, s.RLTime.Total, 100*s.RLTimeAccounted)
		if rc := rewardCurve(filepath.Join(names[i], MetricsFile)); rc != "" {
			fmt.Fprintf(w, "  accuracy by RL step: %s\n", rc)
		}
	}
}

// reportControl prints finished control runs.
func reportControl(w io.Writer, runs []DirInfo) {
	fmt.Fprintf(w, "%-28s %-5s %-24s %9s %5s %12s %8s %8s %7s\n", "control run", "algo", "env", "steps", "seed", "final_return", "std", "episodes", "wall s")
	for _, r := range runs {
		s := r.Control
		name := r.Dir
		if len(name) > 28 {
			name = "…" + name[len(name)-27:]
		}
		fmt.Fprintf(w, "%-28s %-5s %-24s %9d %5d %12.1f %8.1f %8d %7.0f\n", name, s.Algo, s.Env, s.Steps, s.Seed, s.FinalReturn, stddev(s.EvalReturns), len(s.EvalReturns), s.WallSeconds)
	}
}

// stddev is the sample standard deviation (0 for fewer than two values).
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)-1))
}

// flatConfig reads a run's config.yaml as dotted keys ("rl.lr") with their
// values in flow YAML; nil when it cannot be read.
func flatConfig(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc map[string]any
	if yaml.Unmarshal(b, &doc) != nil {
		return nil
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, x := range m {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				walk(key, x)
			}
			return
		}
		vb, err := yaml.Marshal(v)
		if err != nil {
			out[prefix] = fmt.Sprint(v)
			return
		}
		val := strings.TrimSpace(string(vb))
		if strings.Contains(val, "\n") {
			val = fmt.Sprint(v)
		}
		out[prefix] = val
	}
	walk("", doc)
	return out
}

// configParams renders the keys under prefix as "{k: v, ...}", or "".
func configParams(c map[string]string, prefix string) string {
	var parts []string
	for k, v := range c {
		if strings.HasPrefix(k, prefix) {
			parts = append(parts, strings.TrimPrefix(k, prefix)+": "+v)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// differingKeys lists, sorted, the keys whose values are not the same in
// every config (a key missing from some counts as differing); "name" is
// left out, as the recipe is printed per run.
func differingKeys(configs []map[string]string) []string {
	all := map[string]bool{}
	for _, c := range configs {
		for k := range c {
			all[k] = true
		}
	}
	var out []string
	for k := range all {
		if k == "name" {
			continue
		}
		v0, ok0 := configs[0][k]
		for _, c := range configs[1:] {
			if v, ok := c[k]; ok != ok0 || v != v0 {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func curve(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}

// rewardCurve renders RL training accuracy as a sparkline of ten buckets.
func rewardCurve(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var acc []float64
	for _, line := range strings.Split(string(data), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["stage"] == "rl" {
			if a, ok := m["accuracy"].(float64); ok {
				acc = append(acc, a)
			}
		}
	}
	if len(acc) == 0 {
		return ""
	}
	buckets := min(10, len(acc))
	var parts []string
	for b := 0; b < buckets; b++ {
		lo, hi := b*len(acc)/buckets, (b+1)*len(acc)/buckets
		var s float64
		for _, a := range acc[lo:hi] {
			s += a
		}
		parts = append(parts, fmt.Sprintf("%.2f", s/float64(hi-lo)))
	}
	return strings.Join(parts, " → ")
}
