package compare

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/plot"
)

// Plots draws the pictures of a compare directory as SVG and PNG: the final
// pass@k curve of each recipe with its 95% band (plus the baseline's base
// model, dashed into the legend as "base"), in passk.svg/png, and the
// training curves of every finished cell in accuracy.svg, reward.svg,
// entropy.svg, response_len.svg and kl.svg (with PNGs). It returns the
// base paths written.
func (res *Result) Plots(out string) ([]string, error) {
	var written []string
	base := filepath.Join(out, "passk")
	if ok, err := res.PassAtKPlot(base, "final pass@k (mean, 95% t-interval over seeds)", res.Recipes); err != nil {
		return nil, err
	} else if ok {
		written = append(written, base)
	}
	var dirs, names []string
	for _, c := range res.Cells {
		if c.Status == StatusDone {
			dirs = append(dirs, filepath.Join(out, c.Dir))
			names = append(names, fmt.Sprintf("%s s%d", c.Recipe, c.Seed))
		}
	}
	more, err := plot.Training(out, dirs, names)
	return append(written, more...), err
}

// PassAtKPlot draws base.svg and base.png: the final pass@k curves of the
// named recipes (in that order) with their 95% bands, after the
// baseline's base model. It reports whether there was anything to draw;
// an unknown recipe is an error.
func (res *Result) PassAtKPlot(base, title string, recipes []string) (bool, error) {
	var bands []plot.Band
	if c, ok := res.Curves[res.Baseline]; ok && len(c.Base) > 0 {
		bands = append(bands, band("base model", c.Base))
	}
	for _, name := range recipes {
		c, ok := res.Curves[name]
		if !ok {
			return false, fmt.Errorf("compare: no recipe %q in the result (have %v)", name, res.Recipes)
		}
		if len(c.Final) > 0 {
			bands = append(bands, band(name, c.Final))
		}
	}
	if len(bands) == 0 {
		return false, nil
	}
	return true, plot.PassAtK(base, title, bands)
}

func band(name string, st []Stat) plot.Band {
	b := plot.Band{Name: name}
	for _, s := range st {
		b.Mean = append(b.Mean, s.Mean)
		lo, hi := math.NaN(), math.NaN()
		if s.CI95 != nil {
			lo, hi = s.CI95[0], s.CI95[1]
		}
		b.Lo, b.Hi = append(b.Lo, lo), append(b.Hi, hi)
	}
	return b
}
