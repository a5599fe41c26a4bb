package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Output formats of the Write functions.
const (
	FormatText = "text"
	FormatJSON = "json"
)

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func checkFormat(format string) error {
	if format != FormatText && format != FormatJSON && format != "" {
		return fmt.Errorf("analyze: output format %q: want text or json", format)
	}
	return nil
}

// WriteSparsity writes r as format "text" (a summary, the per-layer
// profile and a table per tensor) or "json" (the report as indented
// JSON; "" means text).
func WriteSparsity(w io.Writer, r *SparsityReport, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if format == FormatJSON {
		return writeJSON(w, r)
	}
	fmt.Fprintf(w, "base  %s%s\nfinal %s%s\n", r.Base, stepNote(r.BaseStep), r.Final, stepNote(r.FinalStep))
	fmt.Fprintf(w, "entries %d; changed (%s) %d = %.4f, sparsity %.4f; bf16-changed %.4f\n",
		r.N, r.Criterion, r.Changed, r.ChangedFrac, r.Sparsity, r.BF16Frac)
	var parts []string
	for _, t := range r.ByTol {
		parts = append(parts, fmt.Sprintf("|Δ|>%g %.4f", t.Tol, t.Frac))
	}
	fmt.Fprintf(w, "changed by tolerance: %s\n", strings.Join(parts, ", "))
	if r.MeanRankRatio >= 0 {
		fmt.Fprintf(w, "mean rank ratio over %d matrices: %.4f\n", r.Matrices, r.MeanRankRatio)
	}
	fmt.Fprintln(w, "per layer (mean changed fraction of its matrices):")
	for _, l := range r.Layers {
		fmt.Fprintf(w, "  %-10s %2d matrices  %.4f\n", l.Layer, l.Matrices, l.MeanChangedFrac)
	}
	if len(r.Tensors) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tensor\tshape\tchanged\tbf16\tmax|Δ|\t‖Δ‖/‖W‖\trank\tratio")
	for _, t := range r.Tensors {
		rank, ratio := "-", "-"
		if t.Rank >= 0 {
			rank, ratio = fmt.Sprint(t.Rank), fmt.Sprintf("%.3f", t.RankRatio)
		}
		fmt.Fprintf(tw, "%s\t%v\t%.4f\t%.4f\t%.3g\t%.3g\t%s\t%s\n", t.Name, t.Shape, t.ChangedFrac, t.BF16Frac, t.MaxAbs, t.RelNorm, rank, ratio)
	}
	return tw.Flush()
}

func stepNote(step int) string {
	if step < 0 {
		return ""
	}
	return fmt.Sprintf(" (step %d)", step)
}

// WriteOverlap writes r as format "text" or "json".
func WriteOverlap(w io.Writer, r *OverlapReport, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if format == FormatJSON {
		return writeJSON(w, r)
	}
	t := r.Total
	fmt.Fprintf(w, "a %s\nb %s\ncriterion %s; n %d, |I1| %d, |I2| %d, |I1∩I2| %d\n", r.RunA, r.RunB, r.Criterion, t.N, t.I1, t.I2, t.Intersection)
	fmt.Fprintf(w, "overlap |I1∩I2|/|I1| %.4f (chance |I2|/n %.4f); reverse %.4f; jaccard %.4f\n", t.Overlap, t.Chance, t.Reverse, t.Jaccard)
	if len(r.Tensors) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tensor\toverlap\tchance\treverse\tjaccard")
	for _, s := range r.Tensors {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\n", s.Name, s.Overlap, s.Chance, s.Reverse, s.Jaccard)
	}
	return tw.Flush()
}

// WriteEcho writes r as format "text" (one row per bucket: steps, records,
// accuracy, then share and accuracy of each style) or "json".
func WriteEcho(w io.Writer, r *EchoReport, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if format == FormatJSON {
		return writeJSON(w, r)
	}
	fmt.Fprintf(w, "%s: %d records, buckets of %d RL steps\n", r.File, r.Records, r.Bucket)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "steps\tn\taccuracy"
	for _, s := range r.Styles {
		head += "\t" + s + " share\t" + s + " acc"
	}
	fmt.Fprintln(tw, head)
	row := func(label string, b EchoBucket) {
		line := fmt.Sprintf("%s\t%d\t%.3f", label, b.N, b.Accuracy)
		for _, s := range b.Styles {
			acc := "-"
			if s.Accuracy != nil {
				acc = fmt.Sprintf("%.3f", *s.Accuracy)
			}
			line += fmt.Sprintf("\t%.3f\t%s", s.Share, acc)
		}
		fmt.Fprintln(tw, line)
	}
	for _, b := range r.Buckets {
		row(fmt.Sprintf("%d-%d", b.FirstStep, b.LastStep), b)
	}
	row("all", r.Total)
	return tw.Flush()
}

// WriteCurve writes SparsityCurve's points as format "text" (one row per
// checkpoint: step, changed fraction, bf16-changed fraction, the changed
// fraction at each tolerance, mean rank ratio) or "json".
func WriteCurve(w io.Writer, pts []CurvePoint, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	if format == FormatJSON {
		return writeJSON(w, pts)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "step\tchanged\tbf16"
	if len(pts) > 0 {
		for _, t := range pts[0].ByTol {
			head += fmt.Sprintf("\t|Δ|>%g", t.Tol)
		}
	}
	fmt.Fprintln(tw, head+"\trank ratio")
	for _, p := range pts {
		line := fmt.Sprintf("%d\t%.4f\t%.4f", p.Step, p.ChangedFrac, p.BF16Frac)
		for _, t := range p.ByTol {
			line += fmt.Sprintf("\t%.4f", t.Frac)
		}
		rank := "-"
		if p.MeanRankRatio >= 0 {
			rank = fmt.Sprintf("%.4f", p.MeanRankRatio)
		}
		fmt.Fprintln(tw, line+"\t"+rank)
	}
	return tw.Flush()
}
