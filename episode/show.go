package episode

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// ShowOptions configure Show.
type ShowOptions struct {
	// ColorBy colours the policy's tokens by "logprob" (red: unlikely,
	// green: likely), "advantage" (red: negative, green: positive) or ""
	// (roles only).
	ColorBy string
	// Color turns ANSI colours on (a terminal); off, values are printed
	// beside each policy segment instead.
	Color bool
	// Decode renders one token id (nil: the segment's text is shown whole).
	Decode func(id int32) string
}

// ANSI escape sequences.
const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[2m"
	ansiBold  = "\x1b[1m"
)

// Show prints one episode record in the terminal: a header with the
// problem, reward and verdicts, then each segment under its role, the
// policy's tokens coloured by log-prob or advantage.
func Show(w io.Writer, r Record, o ShowOptions) {
	fmt.Fprintf(w, "%s step %d  episode %d (group %d, %s)  reward %.3f  correct %v  advantage %+.3f",
		bold(o, "──"), r.Step, r.Episode, r.Group, r.Env, r.Reward, r.Correct, r.Advantage)
	if r.Truncated {
		fmt.Fprint(w, "  truncated")
	}
	fmt.Fprintln(w)
	if r.Answer != "" {
		fmt.Fprintf(w, "   reference answer: %s\n", r.Answer)
	}
	for _, v := range r.Verdicts {
		fmt.Fprintf(w, "   verdict of %s: reward %.3f parsed %v %s\n", v.Judge, v.Reward, v.Parsed, v.Reason)
	}
	for _, s := range r.Segments {
		role := s.Role
		if s.Source != "" {
			role += ":" + s.Source
		}
		fmt.Fprintf(w, "%s\n", bold(o, "["+role+"]"))
		if !s.Trainable || o.Decode == nil || o.ColorBy == "" {
			text := s.Text
			if !s.Trainable && o.Color {
				text = ansiDim + text + ansiReset
			}
			fmt.Fprintln(w, indent(text))
			continue
		}
		vals := s.LogProbs32()
		lo, hi := -5.0, 0.0
		if o.ColorBy == "advantage" {
			vals, lo, hi = s.Advantages, -1, 1
		}
		var b strings.Builder
		var plain []string
		for t, id := range s.IDs {
			tok := o.Decode(id)
			if t >= len(vals) {
				b.WriteString(tok)
				continue
			}
			if o.Color {
				b.WriteString(colour(vals[t], lo, hi) + tok + ansiReset)
			} else {
				b.WriteString(tok)
				plain = append(plain, fmt.Sprintf("%.2f", vals[t]))
			}
		}
		fmt.Fprintln(w, indent(b.String()))
		if len(plain) > 0 {
			fmt.Fprintf(w, "   %s: %s\n", o.ColorBy, strings.Join(plain, " "))
		}
	}
}

// LogProbs32 returns the segment's log-probs as float64.
func (s RecordSegment) LogProbs32() []float64 {
	out := make([]float64, len(s.LogProbs))
	for i, v := range s.LogProbs {
		out[i] = float64(v)
	}
	return out
}

// colour maps v in [lo, hi] to a 24-bit background from red to green.
func colour(v, lo, hi float64) string {
	f := (v - lo) / (hi - lo)
	if math.IsNaN(f) {
		f = 0.5
	}
	f = math.Max(0, math.Min(1, f))
	r, g := int(200*(1-f)), int(160*f)
	return fmt.Sprintf("\x1b[48;2;%d;%d;40m", r, g)
}

func bold(o ShowOptions, s string) string {
	if o.Color {
		return ansiBold + s + ansiReset
	}
	return s
}

func indent(s string) string {
	return "   " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n   ")
}
