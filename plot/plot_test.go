package plot

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPassAtKWritesSVGAndPNG(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "passk")
	nan := math.NaN()
	err := PassAtK(base, "pass@k", []Band{
		{Name: "grpo", Mean: []float64{0.2, 0.5, 0.7, 0.8}, Lo: []float64{0.1, 0.4, 0.6, 0.7}, Hi: []float64{0.3, 0.6, 0.8, 1.2}},
		{Name: "one seed", Mean: []float64{0.1, 0.2, 0.3, 0.4}, Lo: []float64{nan, nan, nan, nan}, Hi: []float64{nan, nan, nan, nan}},
	})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(base + ".svg")
	if err != nil || !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "grpo") {
		t.Fatalf("svg: %v %.80q", err, svg)
	}
	f, err := os.Open(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
		t.Errorf("png is %v", b)
	}
}

func TestLinesRejectsBadSeries(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		s    []Series
	}{
		{"none", nil},
		{"x and y differ", []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}},
		{"band length", []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1, 2}, Lo: []float64{0}, Hi: []float64{2}}}},
	}
	for _, tc := range tests {
		if err := Lines(filepath.Join(dir, "x"), "", "", "", tc.s, false); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestReadTraining(t *testing.T) {
	dir := t.TempDir()
	lines := `{"stage":"pretrain","step":1,"loss":3}
{"stage":"rl","step":1,"accuracy":0.25,"reward":0.5,"entropy":1.5,"response_len":12,"kl":0.01}
{"stage":"eval","gstep":5}
{"stage":"rl","step":2,"accuracy":0.5,"reward":0.75,"entropy":1.25,"response_len":10}
`
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	steps, f, err := ReadTraining(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[1] != 2 || f["accuracy"][1] != 0.5 || f["response_len"][0] != 12 || f["kl"][0] != 0.01 || !math.IsNaN(f["kl"][1]) {
		t.Errorf("steps %v fields %v", steps, f)
	}
	written, err := Training(dir, []string{dir}, []string{"run"})
	if err != nil || len(written) != len(TrainingFields) {
		t.Fatalf("Training wrote %v: %v", written, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(lines+"{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadTraining(dir); err == nil || !strings.Contains(err.Error(), "metrics.jsonl:5") {
		t.Errorf("bad line: err = %v, want one naming metrics.jsonl:5", err)
	}
}

func TestPreciseTicksLabelsCloseValuesApart(t *testing.T) {
	seen := map[string]bool{}
	for _, tk := range (preciseTicks{}).Ticks(4.46, 4.56) {
		if tk.Label == "" {
			continue
		}
		if seen[tk.Label] {
			t.Errorf("label %q repeated", tk.Label)
		}
		seen[tk.Label] = true
	}
	if len(seen) < 2 {
		t.Errorf("labels %v", seen)
	}
}
