package run

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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

// Report prints the summaries of run directories side by side and, for a
// single run, its pass@k curves and RL reward curve as text.
func Report(w io.Writer, dirs []string) error {
	var ss []*Summary
	for _, d := range dirs {
		s, err := ReadSummary(d)
		if err != nil {
			return err
		}
		ss = append(ss, s)
	}
	PrintTable(w, ss, dirs)
	for i, s := range ss {
		fmt.Fprintf(w, "\n%s: pass@k curve (k = 1..%d)\n  base  %s\n  final %s\n", dirs[i], len(s.BaseCurve), curve(s.BaseCurve), curve(s.FinalCurve))
		fmt.Fprintf(w, "  rl time: sample %.0fs, score %.0fs, train %.0fs of %.0fs (%.1f%% accounted)\n", s.RLTime.Sample, s.RLTime.Score, s.RLTime.Train, s.RLTime.Total, 100*s.RLTimeAccounted)
		if rc := rewardCurve(filepath.Join(dirs[i], MetricsFile)); rc != "" {
			fmt.Fprintf(w, "  accuracy by RL step: %s\n", rc)
		}
	}
	return nil
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
