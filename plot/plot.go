// Package plot draws the pictures of runs and comparisons as SVG and PNG:
// pass@k curves on a log k axis with interval bands, and training curves
// (accuracy, reward, entropy, response length, KL) over RL steps.
//
// It uses gonum.org/v1/plot: pure Go (no cgo, no system libraries, so the
// binary stays self-contained and CI needs nothing new), maintained, with
// log axes, polygons for bands and SVG/PNG back ends behind one Save call.
package plot

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Series is one line: y over x, with an optional band [Lo, Hi] (same
// length as Y when present).
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Formats are the files every picture is written as.
var Formats = []string{"svg", "png"}

// Lines draws series into base.svg and base.png (base is a path without
// extension). logX puts x on a log scale (all x must be > 0).
func Lines(base, title, xLabel, yLabel string, series []Series, logX bool) error {
	if len(series) == 0 {
		return errors.New("plot: no series")
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Y.Tick.Marker = preciseTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = false, false
	for i, s := range series {
		if len(s.X) != len(s.Y) || (s.Lo != nil && (len(s.Lo) != len(s.Y) || len(s.Hi) != len(s.Y))) {
			return fmt.Errorf("plot: series %q: x, y and band lengths differ", s.Name)
		}
		if len(s.X) == 0 {
			continue
		}
		c := plotutil.Color(i)
		if s.Lo != nil {
			band := make(plotter.XYs, 0, 2*len(s.X))
			for j := range s.X {
				band = append(band, plotter.XY{X: s.X[j], Y: s.Lo[j]})
			}
			for j := len(s.X) - 1; j >= 0; j-- {
				band = append(band, plotter.XY{X: s.X[j], Y: s.Hi[j]})
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return fmt.Errorf("plot: series %q band: %w", s.Name, err)
			}
			r, g, b, _ := c.RGBA()
			poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 50}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plot: series %q: %w", s.Name, err)
		}
		l.Color = c
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	for _, f := range Formats {
		if err := p.Save(6*vg.Inch, 4*vg.Inch, base+"."+f); err != nil {
			return fmt.Errorf("plot: %s.%s: %w", base, f, err)
		}
	}
	return nil
}

// preciseTicks are gonum's default ticks labelled with up to four
// significant digits, so close values (4.50, 4.55) get distinct labels.
type preciseTicks struct{}

// Ticks implements plot.Ticker.
func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 4, 64)
		}
	}
	return ts
}

// Band is a mean curve with an optional interval, as compare computes it
// per k (Lo/Hi NaN where there is no interval).
type Band struct {
	Name         string
	Mean, Lo, Hi []float64
}

// PassAtK draws pass@k curves for k = 1..len (k on a log axis) into
// base.svg and base.png.
func PassAtK(base, title string, curves []Band) error {
	var ss []Series
	for _, c := range curves {
		s := Series{Name: c.Name, Y: c.Mean}
		for k := range c.Mean {
			s.X = append(s.X, float64(k+1))
		}
		if c.Lo != nil && !anyNaN(c.Lo) && !anyNaN(c.Hi) {
			s.Lo, s.Hi = clamp01(c.Lo), clamp01(c.Hi)
		}
		ss = append(ss, s)
	}
	return Lines(base, title, "k", "pass@k", ss, true)
}

func anyNaN(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

func clamp01(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = min(1, max(0, x))
	}
	return out
}

// TrainingFields are the RL metrics drawn over steps, as named in
// metrics.jsonl.
var TrainingFields = []string{"accuracy", "reward", "entropy", "response_len", "kl"}

// ReadTraining reads the RL lines of a run's metrics.jsonl: for each of
// TrainingFields, the values by RL step. A line that is not JSON is an
// error naming the file and line.
func ReadTraining(runDir string) (steps []float64, fields map[string][]float64, err error) {
	path := filepath.Join(runDir, "metrics.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fields = map[string][]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if m["stage"] != "rl" {
			continue
		}
		step, _ := m["step"].(float64)
		steps = append(steps, step)
		for _, k := range TrainingFields {
			v, ok := m[k].(float64)
			if !ok {
				v = math.NaN()
			}
			fields[k] = append(fields[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return steps, fields, nil
}

// Training draws, for each of TrainingFields, one picture with a line per
// run (named by names) into dir/<field>.svg and .png. Runs without RL steps
// are left out; it returns the base paths written.
func Training(dir string, runDirs, names []string) ([]string, error) {
	type run struct {
		name   string
		steps  []float64
		fields map[string][]float64
	}
	var runs []run
	for i, d := range runDirs {
		steps, fields, err := ReadTraining(d)
		if err != nil {
			return nil, err
		}
		if len(steps) > 0 {
			runs = append(runs, run{names[i], steps, fields})
		}
	}
	if len(runs) == 0 {
		return nil, nil
	}
	var written []string
	for _, field := range TrainingFields {
		var ss []Series
		for _, r := range runs {
			s := Series{Name: r.name}
			for j, v := range r.fields[field] {
				if !math.IsNaN(v) {
					s.X, s.Y = append(s.X, r.steps[j]), append(s.Y, v)
				}
			}
			ss = append(ss, s)
		}
		base := filepath.Join(dir, field)
		if err := Lines(base, field+" over RL steps", "RL step", field, ss, false); err != nil {
			return nil, err
		}
		written = append(written, base)
	}
	return written, nil
}
